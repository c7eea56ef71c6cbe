"""Inspectors (督导检查员) of the district: registered by the registrar, active or not, with declared conflicts."""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import Aggregate, event


class Inspector(Aggregate):
    """A person the bureau sends to nurseries; an inspector key scoped to them signs their visits."""

    TOPIC = "carecred.credential:Inspector"

    class Event(Aggregate.Event):
        TOPIC = "carecred.credential:Inspector.Event"
        actor: dict[str, Any]

    class Registered(Event, Aggregate.Created):
        TOPIC = "carecred.credential:Inspector.Registered.v1"
        name: str
        unit: str

    class Deactivated(Event):
        TOPIC = "carecred.credential:Inspector.Deactivated.v1"
        reason: str

    class Reactivated(Event):
        TOPIC = "carecred.credential:Inspector.Reactivated.v1"
        reason: str

    class ConflictDeclared(Event):
        """The inspector may not be sent to this nursery (a relative works there, a former employer...)."""

        TOPIC = "carecred.credential:Inspector.ConflictDeclared.v1"
        nursery_id: str
        reason: str

    @event(Registered)
    def __init__(self, name: str, unit: str, actor: dict[str, Any]):
        self.name = name
        self.unit = unit
        self.active = True
        self.conflicts: list[str] = []

    @event(Deactivated)
    def deactivate(self, reason: str, actor: dict[str, Any]) -> None:
        self.active = False

    @event(Reactivated)
    def reactivate(self, reason: str, actor: dict[str, Any]) -> None:
        self.active = True

    @event(ConflictDeclared)
    def declare_conflict(self, nursery_id: str, reason: str, actor: dict[str, Any]) -> None:
        self.conflicts = [*self.conflicts, nursery_id]
