"""Restating a person's year totals on the public feed when their requirement changed without a completion.

The feed carries each person's year totals with every completion and reversal. When the
registrar adopts rules for the current year, or the registry follower learns an assignment that
starts or ends (pro-rating), the requirement changes though nothing was completed: a
``Restated`` event then puts the person's totals on the feed again (``totals.restated.v1``),
computed like any other event's at its own position, so the credential service converges.
One aggregate per person and year; each restatement is one more event of it.
"""

from __future__ import annotations

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

RESTATEMENT_NAMESPACE = uuid5(NAMESPACE_URL, "urn:carecred:training-year-restatement")
REASONS = ("rules_adopted", "assignment_changed")


def restatement_id_for(staff_id: str, year: int) -> UUID:
    return uuid5(RESTATEMENT_NAMESPACE, f"{staff_id}/{year}")


class YearRestatement(Aggregate):
    """The restatements of one person's year."""

    TOPIC = "carecred.training:YearRestatement"

    class Event(Aggregate.Event):
        TOPIC = "carecred.training:YearRestatement.Event"
        actor: dict[str, Any]

    class Started(Event, Aggregate.Created):
        TOPIC = "carecred.training:YearRestatement.Started.v1"
        staff_id: str
        year: int
        reason: str

    class Restated(Event):
        TOPIC = "carecred.training:YearRestatement.Restated.v1"
        reason: str

    @staticmethod
    def create_id(staff_id: str, year: int) -> UUID:
        return restatement_id_for(staff_id, year)

    @event(Started)
    def __init__(self, staff_id: str, year: int, reason: str, actor: dict[str, Any]):
        self.staff_id = staff_id
        self.year = year

    @event(Restated)
    def restate(self, reason: str, actor: dict[str, Any]) -> None:
        pass
