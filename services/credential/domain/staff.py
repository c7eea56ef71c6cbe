"""People who work, or will work, in the district's nurseries (从业人员).

A person's aggregate id is derived from the keyed hash of their ID number, so registering
the same person twice collides in the event store: no query, no race.
"""

from __future__ import annotations

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

STAFF_NAMESPACE = uuid5(NAMESPACE_URL, "urn:carecred:staff")


def staff_id_for(id_hash: str) -> UUID:
    """The staff id of the person whose ID number has this keyed hash."""
    return uuid5(STAFF_NAMESPACE, id_hash)


class Staff(Aggregate):
    """A registered person: name, masked ID number and the keyed hash of the ID number."""

    TOPIC = "carecred.credential:Staff"

    class Event(Aggregate.Event):
        TOPIC = "carecred.credential:Staff.Event"
        actor: dict[str, Any]

    class Registered(Event, Aggregate.Created):
        TOPIC = "carecred.credential:Staff.Registered.v1"
        name: str
        id_hash: str
        id_masked: str
        registered_by: str | None

    @staticmethod
    def create_id(id_hash: str) -> UUID:
        return staff_id_for(id_hash)

    @event(Registered)
    def __init__(self, name: str, id_hash: str, id_masked: str, registered_by: str | None, actor: dict[str, Any]):
        self.name = name
        self.id_hash = id_hash
        self.id_masked = id_masked
        self.registered_by = registered_by
