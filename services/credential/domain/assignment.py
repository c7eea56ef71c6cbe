"""Assignments (岗位安排): a person working in a role at a nursery from a date."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from shared.errors import Conflict, Invalid

ASSIGNMENT_NAMESPACE = uuid5(NAMESPACE_URL, "urn:carecred:assignment")


def assignment_id_for(staff_id: str, nursery_id: str, role: str, start_on: str) -> UUID:
    """The same person, nursery, role and start date is the same assignment."""
    return uuid5(ASSIGNMENT_NAMESPACE, f"{staff_id}:{nursery_id}:{role}:{start_on}")


class Assignment(Aggregate):
    """A person in a role at a nursery, admitted under a policy version; ended by an event."""

    TOPIC = "carecred.credential:Assignment"

    class Event(Aggregate.Event):
        TOPIC = "carecred.credential:Assignment.Event"
        actor: dict[str, Any]

    class Made(Event, Aggregate.Created):
        TOPIC = "carecred.credential:Assignment.Made.v1"
        staff_id: str
        nursery_id: str
        role: str
        start_on: str
        policy_version: int

    class Ended(Event):
        TOPIC = "carecred.credential:Assignment.Ended.v1"
        end_on: str
        reason: str

    @staticmethod
    def create_id(staff_id: str, nursery_id: str, role: str, start_on: str) -> UUID:
        return assignment_id_for(staff_id, nursery_id, role, start_on)

    @event(Made)
    def __init__(self, staff_id: str, nursery_id: str, role: str, start_on: str, policy_version: int, actor: dict[str, Any]):
        self.staff_id = staff_id
        self.nursery_id = nursery_id
        self.role = role
        self.start_on = start_on
        self.policy_version = policy_version
        self.end_on: str | None = None

    def end(self, *, end_on: dt.date, reason: str, actor: dict[str, Any]) -> None:
        """End the assignment after its last working day."""
        if self.end_on is not None:
            raise Conflict(f"the assignment already ended on {self.end_on}", code="already_ended", assignment_id=str(self.id))
        if end_on.isoformat() < self.start_on:
            raise Invalid(f"end_on must not be before the start ({self.start_on})", field="end_on")
        self._ended(end_on=end_on.isoformat(), reason=reason, actor=actor)

    @event(Ended)
    def _ended(self, end_on: str, reason: str, actor: dict[str, Any]) -> None:
        self.end_on = end_on
