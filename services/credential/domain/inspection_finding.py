"""Findings (问题): confirmed by the inspector on a visit, rectified by a deadline, closed or escalated on re-inspection.

检查—整改—再检查: a finding is open from its confirmation; a re-inspection visit closes it
(rectified) or escalates it (not rectified, with a new deadline); it is overdue while open past
its deadline.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import Aggregate, event

FINDING_KINDS = ("no_valid_badge", "holder_mismatch", "not_on_roster", "lapsed_certificate")
INTEGRITY_KINDS = ("holder_mismatch",)
"""Kinds whose confirmation adds a warning to the person's integrity record (see docs/inspections.md)."""


class Finding(Aggregate):
    """One problem found at a nursery, about a person (or a person working who is not on the roster)."""

    TOPIC = "carecred.credential:Finding"

    class Event(Aggregate.Event):
        TOPIC = "carecred.credential:Finding.Event"
        actor: dict[str, Any]

    class Confirmed(Event, Aggregate.Created):
        TOPIC = "carecred.credential:Finding.Confirmed.v1"
        visit_id: str
        nursery_id: str
        inspector_id: str
        kind: str
        staff_id: str | None
        person_name: str | None
        detail: str
        due_on: str

    class Closed(Event):
        """Rectified, as a re-inspection found."""

        TOPIC = "carecred.credential:Finding.Closed.v1"
        visit_id: str
        note: str

    class Escalated(Event):
        """Not rectified at re-inspection: a new deadline, and the district follows it."""

        TOPIC = "carecred.credential:Finding.Escalated.v1"
        visit_id: str
        note: str
        due_on: str

    @event(Confirmed)
    def __init__(self, visit_id: str, nursery_id: str, inspector_id: str, kind: str, staff_id: str | None,
                 person_name: str | None, detail: str, due_on: str, actor: dict[str, Any]):
        self.visit_id = visit_id
        self.nursery_id = nursery_id
        self.kind = kind
        self.staff_id = staff_id
        self.due_on = due_on
        self.status = "open"

    @event(Closed)
    def close(self, visit_id: str, note: str, actor: dict[str, Any]) -> None:
        self.status = "closed"

    @event(Escalated)
    def escalate(self, visit_id: str, note: str, due_on: str, actor: dict[str, Any]) -> None:
        self.status = "escalated"
        self.due_on = due_on
