"""The credential service's use cases beyond the registry, one mixin of ``Credentials`` per area.

Each command loads the aggregates, calls them, and saves with ``save_and_project``.
"""
