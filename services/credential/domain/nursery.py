"""Nurseries (托育机构), kindergartens with nursery classes (幼儿园托班) and community points (社区托育点).

A nursery's life is a series of events, each with the date it takes effect (business time):
registered (the record; a v1 registration counts as opened on the district date it was
recorded), opened (the date it opened, its places), details changed, suspended, reopened,
closed. Effective dates never go back: each change takes effect on or after the previous one,
so the nursery on a date is the last change effective by then.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from eventsourcing.domain import Aggregate, event

from shared.district import local_date
from shared.errors import Conflict, Invalid

JINSHAN_AREAS = (
    "石化街道", "朱泾镇", "枫泾镇", "张堰镇", "亭林镇", "吕巷镇",
    "廊下镇", "金山卫镇", "漕泾镇", "山阳镇", "金山工业区",
)
"""The plan's coverage target counts these: every town and subdistrict, and the industrial zone."""
OWNERSHIPS = ("public", "private")
KINDS = ("nursery", "kindergarten", "community")
"""托育机构, 幼儿园托班 (a kindergarten's nursery classes), 社区托育点. "community" came later: the
first two keep the meaning they had in every stored event."""
KIND_NAMES_ZH = {"nursery": "托育机构", "kindergarten": "幼儿园托班", "community": "社区托育点"}
STATUSES = ("open", "suspended", "closed")


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

    class Opened(Event):
        """The date the nursery opened (or opens) and its places; without it, the registration date."""

        TOPIC = "carecred.credential:Nursery.Opened.v1"
        effective_on: str
        capacity: int | None

    class DetailsChanged(Event):
        """Name, kind, ownership, inclusive status and places from a date (every field its new value)."""

        TOPIC = "carecred.credential:Nursery.DetailsChanged.v1"
        effective_on: str
        name: str
        kind: str
        ownership: str
        inclusive: bool
        capacity: int | None
        reason: str

    class Suspended(Event):
        TOPIC = "carecred.credential:Nursery.Suspended.v1"
        effective_on: str
        reason: str

    class Reopened(Event):
        TOPIC = "carecred.credential:Nursery.Reopened.v1"
        effective_on: str
        reason: str

    class Closed(Event):
        TOPIC = "carecred.credential:Nursery.Closed.v1"
        effective_on: str
        reason: str

    @event(Registered)
    def __init__(self, name: str, town: str, ownership: str, inclusive: bool, kind: str, actor: dict[str, Any]):
        self.name = name
        self.town = town
        self.ownership = ownership
        self.inclusive = inclusive
        self.kind = kind
        self.capacity: int | None = None
        self.status = "open"
        self.opened_on = registered_on(self.created_on)
        self.effective_on = self.opened_on

    # Rules ------------------------------------------------------------------------------------

    def _from(self, day: dt.date) -> str:
        text = day.isoformat()
        if text < self.effective_on:
            raise Invalid(f"changes take effect in order: the last took effect on {self.effective_on}",
                          field="effective_on", code="effective_before_last")
        return text

    def _not_closed(self) -> None:
        if self.status == "closed":
            raise Conflict(f"the nursery closed on {self.effective_on}", code="nursery_closed", nursery_id=str(self.id))

    def open_on(self, day: dt.date, capacity: int | None, actor: dict[str, Any]) -> None:
        if self.version > 1:
            raise Conflict("the nursery's opening is already recorded", code="already_opened", nursery_id=str(self.id))
        self._opened(effective_on=day.isoformat(), capacity=capacity, actor=actor)

    def change_details(self, day: dt.date, *, name: str, kind: str, ownership: str, inclusive: bool,
                       capacity: int | None, reason: str, actor: dict[str, Any]) -> None:
        self._not_closed()
        self._details_changed(effective_on=self._from(day), name=name, kind=kind, ownership=ownership,
                              inclusive=inclusive, capacity=capacity, reason=reason, actor=actor)

    def suspend(self, day: dt.date, reason: str, actor: dict[str, Any]) -> None:
        self._not_closed()
        if self.status == "suspended":
            raise Conflict(f"the nursery is suspended since {self.effective_on}", code="already_suspended",
                           nursery_id=str(self.id))
        self._suspended(effective_on=self._from(day), reason=reason, actor=actor)

    def reopen(self, day: dt.date, reason: str, actor: dict[str, Any]) -> None:
        self._not_closed()
        if self.status != "suspended":
            raise Conflict("only a suspended nursery reopens", code="not_suspended", nursery_id=str(self.id))
        self._reopened(effective_on=self._from(day), reason=reason, actor=actor)

    def close(self, day: dt.date, reason: str, actor: dict[str, Any]) -> None:
        self._not_closed()
        self._closed(effective_on=self._from(day), reason=reason, actor=actor)

    # Events -----------------------------------------------------------------------------------

    @event(Opened)
    def _opened(self, effective_on: str, capacity: int | None, actor: dict[str, Any]) -> None:
        self.opened_on = self.effective_on = effective_on
        self.capacity = capacity

    @event(DetailsChanged)
    def _details_changed(self, effective_on: str, name: str, kind: str, ownership: str, inclusive: bool,
                         capacity: int | None, reason: str, actor: dict[str, Any]) -> None:
        self.effective_on = effective_on
        self.name, self.kind, self.ownership, self.inclusive, self.capacity = name, kind, ownership, inclusive, capacity

    @event(Suspended)
    def _suspended(self, effective_on: str, reason: str, actor: dict[str, Any]) -> None:
        self.effective_on, self.status = effective_on, "suspended"

    @event(Reopened)
    def _reopened(self, effective_on: str, reason: str, actor: dict[str, Any]) -> None:
        self.effective_on, self.status = effective_on, "open"

    @event(Closed)
    def _closed(self, effective_on: str, reason: str, actor: dict[str, Any]) -> None:
        self.effective_on, self.status = effective_on, "closed"


def registered_on(moment: dt.datetime) -> str:
    """A v1 registration opened the nursery on the district date it was recorded."""
    return local_date(moment).isoformat()


def offers_care(kind: str, capacity: int | None) -> bool:
    """A kindergarten recorded with no nursery-class places (capacity 0) has no 托班 (yet); the rest offer care."""
    return not (kind == "kindergarten" and capacity == 0)
