"""How training is delivered: a provider's trainers, its sessions and offline attendance.

* A **trainer** (培训师资) is registered by their provider, scoped to it; the plan asks that each
  trainer gets at least one professional training a year (每年...提供至少1次专业培训), recorded on
  the trainer as it happens.
* A **session** (培训班次) is one delivery of a catalogued course: online or offline (线上线下相结合),
  by one of the provider's trainers, over a few days.
* **Attendance** at an offline session: the trainer scans each attendee's badge at sign-in and at
  sign-out. One aggregate per (session, person), so concurrent scans never contend.

Ids derive from natural keys, so registering or scanning the same thing twice collides.
"""

from __future__ import annotations

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from shared.errors import Conflict

TRAINER_NAMESPACE = uuid5(NAMESPACE_URL, "urn:carecred:training-trainer")
SESSION_NAMESPACE = uuid5(NAMESPACE_URL, "urn:carecred:training-session")
ATTENDANCE_NAMESPACE = uuid5(NAMESPACE_URL, "urn:carecred:training-attendance")
ONLINE = "online"
OFFLINE = "offline"
MODES = (ONLINE, OFFLINE)
MIN_TRAININGS_A_YEAR = 1
"""每年为托育服务培训人员提供至少1次专业培训."""


def trainer_id_for(provider_id: UUID | str, code: str) -> UUID:
    return uuid5(TRAINER_NAMESPACE, f"{provider_id}/{code}")


def session_id_for(provider_id: UUID | str, code: str) -> UUID:
    return uuid5(SESSION_NAMESPACE, f"{provider_id}/{code}")


def attendance_id_for(session_id: UUID | str, staff_id: str) -> UUID:
    return uuid5(ATTENDANCE_NAMESPACE, f"{session_id}/{staff_id}")


class Trainer(Aggregate):
    """A provider's trainer, and the professional trainings they received."""

    TOPIC = "carecred.training:Trainer"

    class Event(Aggregate.Event):
        TOPIC = "carecred.training:Trainer.Event"
        actor: dict[str, Any]

    class Registered(Event, Aggregate.Created):
        TOPIC = "carecred.training:Trainer.Registered.v1"
        provider_id: str
        code: str
        name: str

    class Trained(Event):
        TOPIC = "carecred.training:Trainer.Trained.v1"
        """The trainer received a professional training (their own, not one they gave)."""
        title: str
        organiser: str
        completed_on: str
        half_hours: int

    @staticmethod
    def create_id(provider_id: str, code: str) -> UUID:
        return trainer_id_for(provider_id, code)

    @event(Registered)
    def __init__(self, provider_id: str, code: str, name: str, actor: dict[str, Any]):
        self.provider_id = provider_id
        self.code = code
        self.name = name
        self.trainings: list[tuple[str, str]] = []

    def record_training(self, title: str, organiser: str, completed_on: str, half_hours: int,
                        actor: dict[str, Any]) -> None:
        if (title, completed_on) in self.trainings:
            raise Conflict(f"trainer {self.code} already has {title!r} on {completed_on}", code="training_exists")
        self._trained(title=title, organiser=organiser, completed_on=completed_on, half_hours=half_hours, actor=actor)

    @event(Trained)
    def _trained(self, title: str, organiser: str, completed_on: str, half_hours: int, actor: dict[str, Any]) -> None:
        self.trainings.append((title, completed_on))


class Session(Aggregate):
    """One delivery of a catalogued course by one trainer, online or offline, from a day to a day."""

    TOPIC = "carecred.training:Session"

    class Event(Aggregate.Event):
        TOPIC = "carecred.training:Session.Event"
        actor: dict[str, Any]

    class Scheduled(Event, Aggregate.Created):
        TOPIC = "carecred.training:Session.Scheduled.v1"
        provider_id: str
        code: str
        course_id: str
        course_code: str
        mode: str
        trainer_id: str
        starts_on: str
        ends_on: str

    @staticmethod
    def create_id(provider_id: str, code: str) -> UUID:
        return session_id_for(provider_id, code)

    @event(Scheduled)
    def __init__(self, provider_id: str, code: str, course_id: str, course_code: str, mode: str, trainer_id: str,
                 starts_on: str, ends_on: str, actor: dict[str, Any]):
        self.provider_id = provider_id
        self.code = code
        self.course_id = course_id
        self.course_code = course_code
        self.mode = mode
        self.trainer_id = trainer_id
        self.starts_on = starts_on
        self.ends_on = ends_on


class Attendance(Aggregate):
    """One person's attendance at an offline session: signed in, then signed out, each by a badge scan.

    The badge text is kept as scanned, for an auditor to verify again with the credential
    service's published keys; the scanner's verdict is recorded beside it.
    """

    TOPIC = "carecred.training:Attendance"

    class Event(Aggregate.Event):
        TOPIC = "carecred.training:Attendance.Event"
        actor: dict[str, Any]
        scanned_at: str
        badge: str
        verdict: str

    class SignedIn(Event, Aggregate.Created):
        TOPIC = "carecred.training:Attendance.SignedIn.v1"
        session_id: str
        staff_id: str
        trainer_id: str

    class SignedOut(Event):
        TOPIC = "carecred.training:Attendance.SignedOut.v1"
        trainer_id: str

    @staticmethod
    def create_id(session_id: str, staff_id: str) -> UUID:
        return attendance_id_for(session_id, staff_id)

    @event(SignedIn)
    def __init__(self, session_id: str, staff_id: str, trainer_id: str, scanned_at: str, badge: str, verdict: str,
                 actor: dict[str, Any]):
        self.session_id = session_id
        self.staff_id = staff_id
        self.signed_in_at = scanned_at
        self.signed_out_at: str | None = None

    def sign_out(self, trainer_id: str, scanned_at: str, badge: str, verdict: str, actor: dict[str, Any]) -> None:
        if self.signed_out_at is not None:
            raise Conflict(f"already signed out at {self.signed_out_at}", code="already_signed_out",
                           attendance_id=str(self.id))
        if scanned_at < self.signed_in_at:
            raise Conflict(f"a sign-out must come after the sign-in ({self.signed_in_at})", code="out_before_in",
                           attendance_id=str(self.id))
        self._signed_out(trainer_id=trainer_id, scanned_at=scanned_at, badge=badge, verdict=verdict, actor=actor)

    @event(SignedOut)
    def _signed_out(self, trainer_id: str, scanned_at: str, badge: str, verdict: str, actor: dict[str, Any]) -> None:
        self.signed_out_at = scanned_at
