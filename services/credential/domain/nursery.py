"""Nurseries (托育机构) and kindergartens with nursery classes (托班)."""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import Aggregate, event

JINSHAN_AREAS = (
    "石化街道", "朱泾镇", "枫泾镇", "张堰镇", "亭林镇", "吕巷镇",
    "廊下镇", "金山卫镇", "漕泾镇", "山阳镇", "金山工业区",
)
OWNERSHIPS = ("public", "private")
KINDS = ("nursery", "kindergarten")


class Nursery(Aggregate):
    """A childcare institution of the district: where staff are assigned."""

    TOPIC = "carecred.credential:Nursery"

    class Event(Aggregate.Event):
        TOPIC = "carecred.credential:Nursery.Event"
        actor: dict[str, Any]

    class Registered(Event, Aggregate.Created):
        TOPIC = "carecred.credential:Nursery.Registered.v1"
        name: str
        town: str
        ownership: str
        inclusive: bool
        kind: str

    @event(Registered)
    def __init__(self, name: str, town: str, ownership: str, inclusive: bool, kind: str, actor: dict[str, Any]):
        self.name = name
        self.town = town
        self.ownership = ownership
        self.inclusive = inclusive
        self.kind = kind
