"""Public integration events: what each service tells the other on its feed.

Kept apart on purpose from the aggregates' stored events (internal, free to evolve): these
are versioned msgspec Structs in one tagged union per service. A new field always gets a
default, so an old payload still decodes; an incompatible change is a new tag (``.v2``).
"""
