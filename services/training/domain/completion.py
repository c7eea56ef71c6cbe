"""Course completions (结业记录) posted by providers: the entries of the training ledger.

A completion's id derives from the provider and the provider's own event id, so a retried
post collides in the event store and is answered from what was recorded. A completion is
never changed: a mistake is reversed, and a correction is a reversal plus a replacement
that names the completion it replaces.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from shared.errors import Conflict

COMPLETION_NAMESPACE = uuid5(NAMESPACE_URL, "urn:carecred:training-completion")


def new_completion(kwargs: dict[str, Any]) -> Completion:
    """A completion from its recorded fields, with its delivery (``kwargs["delivery"]``) when named."""
    fields = {k: v for k, v in kwargs.items() if k != "delivery"}
    completion = Completion(**fields)
    if kwargs.get("delivery"):
        completion.name_delivery(**kwargs["delivery"], actor=kwargs["actor"])
    return completion


def completion_id_for(provider_id: UUID | str, event_id: str) -> UUID:
    """The completion id of a provider's event id."""
    return uuid5(COMPLETION_NAMESPACE, f"{provider_id}/{event_id}")


@dataclass(frozen=True)
class Content:
    """What a provider said about one completion: compared to tell a retry from a conflict."""

    staff_id: str
    course_code: str
    completed_at: dt.datetime
    half_hours: int
    replaces: str | None = None
    session_code: str | None = None
    mode: str | None = None
    trainer_id: str | None = None

    def differences(self, other: Content) -> list[str]:
        """The request fields on which two contents differ (instants compare across offsets)."""
        fields = []
        if self.staff_id != other.staff_id:
            fields.append("staff_id")
        if self.course_code != other.course_code:
            fields.append("course_code")
        if self.completed_at != other.completed_at:
            fields.append("completed_at")
        if self.half_hours != other.half_hours:
            fields.append("class_hours")
        if self.replaces != other.replaces:
            fields.append("replaces")
        if self.session_code != other.session_code:
            fields.append("session_code")
        if self.mode != other.mode:
            fields.append("mode")
        if self.trainer_id != other.trainer_id:
            fields.append("trainer_code")
        return fields


class Completion(Aggregate):
    """One person's completion of one catalogued course, as posted by its provider."""

    TOPIC = "carecred.training:Completion"

    class Event(Aggregate.Event):
        TOPIC = "carecred.training:Completion.Event"
        actor: dict[str, Any]

    class Recorded(Event, Aggregate.Created):
        TOPIC = "carecred.training:Completion.Recorded.v1"
        provider_id: str
        event_id: str
        staff_id: str
        course_id: str
        course_code: str
        category: str
        half_hours: int
        completed_at: str
        year: int
        replaces: str | None

    class Delivered(Event):
        TOPIC = "carecred.training:Completion.Delivered.v1"
        """How the course was delivered: saved with ``Recorded`` when the provider named it."""
        session_id: str | None
        session_code: str | None
        mode: str | None
        trainer_id: str | None
        attendance_id: str | None

    class Reversed(Event):
        TOPIC = "carecred.training:Completion.Reversed.v1"
        reason: str
        replaced_by: str | None

    @staticmethod
    def create_id(provider_id: str, event_id: str) -> UUID:
        return completion_id_for(provider_id, event_id)

    @event(Recorded)
    def __init__(
        self, provider_id: str, event_id: str, staff_id: str, course_id: str, course_code: str,
        category: str, half_hours: int, completed_at: str, year: int, replaces: str | None,
        actor: dict[str, Any],
    ):
        self.provider_id = provider_id
        self.event_id = event_id
        self.staff_id = staff_id
        self.course_id = course_id
        self.course_code = course_code
        self.category = category
        self.half_hours = half_hours
        self.completed_at = completed_at
        self.year = year
        self.replaces = replaces
        self.reversed = False
        self.reversal_reason: str | None = None
        self.replaced_by: str | None = None
        self.delivery: dict[str, str | None] | None = None

    @property
    def content(self) -> Content:
        return Content(
            staff_id=self.staff_id, course_code=self.course_code,
            completed_at=dt.datetime.fromisoformat(self.completed_at),
            half_hours=self.half_hours, replaces=self.replaces,
            session_code=(self.delivery or {}).get("session_code"), mode=(self.delivery or {}).get("mode"),
            trainer_id=(self.delivery or {}).get("trainer_id"),
        )

    def name_delivery(self, *, session_id: str | None, session_code: str | None, mode: str | None,
                      trainer_id: str | None, attendance_id: str | None, actor: dict[str, Any]) -> None:
        """Say how the course was delivered (at recording, in the same save)."""
        self._delivered(session_id=session_id, session_code=session_code, mode=mode, trainer_id=trainer_id,
                        attendance_id=attendance_id, actor=actor)

    @event(Delivered)
    def _delivered(self, session_id: str | None, session_code: str | None, mode: str | None,
                   trainer_id: str | None, attendance_id: str | None, actor: dict[str, Any]) -> None:
        self.delivery = dict(session_id=session_id, session_code=session_code, mode=mode, trainer_id=trainer_id,
                             attendance_id=attendance_id)

    def reverse(self, reason: str, actor: dict[str, Any], replaced_by: str | None = None) -> None:
        """Stop this completion counting; a correction names its replacement."""
        if self.reversed:
            raise Conflict(
                f"completion {self.event_id} is already reversed", code="already_reversed",
                completion_id=str(self.id), replaced_by=self.replaced_by,
            )
        self._reversed(reason=reason, replaced_by=replaced_by, actor=actor)

    @event(Reversed)
    def _reversed(self, reason: str, replaced_by: str | None, actor: dict[str, Any]) -> None:
        self.reversed = True
        self.reversal_reason = reason
        self.replaced_by = replaced_by
