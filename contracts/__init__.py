"""Public messages: request and response bodies, and (later) integration events. msgspec Structs only.

Nothing here imports from ``services/``; both services and their clients import from here.
"""
