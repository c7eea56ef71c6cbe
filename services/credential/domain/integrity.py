"""The integrity record (诚信记录): ethics violations recorded against a person."""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import Aggregate, event

VIOLATION_ACTIONS = ("warning", "suspension", "revocation")


class Violation(Aggregate):
    """One ethics violation (师德违规) and the action taken on the person's certificates."""

    TOPIC = "carecred.credential:Violation"

    class Event(Aggregate.Event):
        TOPIC = "carecred.credential:Violation.Event"
        actor: dict[str, Any]

    class Recorded(Event, Aggregate.Created):
        TOPIC = "carecred.credential:Violation.Recorded.v1"
        staff_id: str
        what: str
        occurred_on: str
        action: str
        certificate_ids: list[str]

    @event(Recorded)
    def __init__(self, staff_id: str, what: str, occurred_on: str, action: str, certificate_ids: list[str], actor: dict[str, Any]):
        self.staff_id = staff_id
        self.what = what
        self.occurred_on = occurred_on
        self.action = action
        self.certificate_ids = list(certificate_ids)
