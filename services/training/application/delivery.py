"""Trainers, sessions and attendance: a provider's own, each refused with the field at fault.

Attendance at an offline session is taken by the trainer scanning each attendee's badge at
sign-in and sign-out. The training service does not import the credential service's badge
code: the trainer's scanner (the credential service's offline verifier page, using the keys
it publishes) verifies the badge and sends the staff id it read, its verdict and the badge
text. Only a ``valid`` verdict is accepted, the person must be registered, and the badge
text is kept with the scan so that an auditor can verify it again against the published
keys (``docs/training-delivery.md``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from contracts.training import (
    AttendanceView, BadgeScan, NewCompletion, NewSession, NewTrainer, SessionView, TrainerTraining,
    TrainerTrainingView, TrainerView, TrainerYear,
)
from services.training.application.catalogue import Catalogue
from services.training.domain.completion import Content
from services.training.domain.delivery import (
    MIN_TRAININGS_A_YEAR, OFFLINE, Attendance, Session, Trainer, attendance_id_for, trainer_id_for,
)
from services.training.domain.hours import InvalidHours, half_hours_of, hours_of
from services.training.domain.year import CLOCK_SKEW, InvalidTime, parse_completed_at, utc_stamp
from services.training.read_models.people import People
from shared.application import ServiceApplication
from shared.district import local_date, today
from shared.errors import Conflict, Invalid, NotFound


class Trainers:
    """A provider registers its trainers and records their own professional training."""

    def __init__(self, records: ServiceApplication, catalogue: Catalogue):
        self.records = records
        self.catalogue = catalogue

    def register(self, provider_id: UUID, data: NewTrainer, actor: dict[str, Any]) -> TrainerView:
        """Register a trainer at an approved provider; 409 if its code is taken."""
        provider = self.catalogue.provider(provider_id)
        if provider.withdrawn_at:
            raise Invalid(f"provider {provider.code} is withdrawn", field="provider_id", code="provider_withdrawn")
        trainer = Trainer(provider_id=str(provider_id), code=data.code, name=data.name, actor=actor)
        try:
            self.records.save_and_project(trainer)
        except IntegrityError:
            raise Conflict(f"trainer {data.code} is already registered", code="trainer_exists",
                           trainer_id=str(trainer.id)) from None
        return self.trainer(provider_id, data.code)

    def record_training(self, provider_id: UUID, code: str, data: TrainerTraining, actor: dict[str, Any]) -> TrainerView:
        """Record a professional training the trainer received; 409 for the same title on the same day."""
        self.trainer(provider_id, code)
        if data.completed_on > today():
            raise Invalid("completed_on is in the future", field="completed_on", code="completed_in_future")
        try:
            half_hours = half_hours_of(data.class_hours)
        except InvalidHours as exc:
            raise Invalid(f"class_hours {exc}", field="class_hours", code="invalid_class_hours") from None
        trainer: Trainer = self.records.repository.get(trainer_id_for(provider_id, code))
        trainer.record_training(data.title, data.organiser, data.completed_on.isoformat(), half_hours, actor)
        self.records.save_and_project(trainer)
        return self.trainer(provider_id, code)

    def trainer(self, provider_id: UUID, code: str) -> TrainerView:
        self.records.projector.catch_up("delivery")
        row = self.records.store.query_one("SELECT * FROM trainers WHERE provider_id = ? AND code = ?",
                                           (str(provider_id), code))
        if row is None:
            raise NotFound(f"no trainer {code} at provider {provider_id}")
        return self._view(row)

    def trainers(self, provider_id: UUID) -> list[TrainerView]:
        self.catalogue.provider(provider_id)
        self.records.projector.catch_up("delivery")
        rows = self.records.store.query("SELECT * FROM trainers WHERE provider_id = ? ORDER BY code", (str(provider_id),))
        return [self._view(r) for r in rows]

    def _view(self, row: Any) -> TrainerView:
        trainings = self.records.store.query(
            "SELECT * FROM trainer_trainings WHERE trainer_id = ? ORDER BY completed_on, title", (row["trainer_id"],)
        )
        counts: dict[int, int] = {}
        for t in trainings:
            year = int(t["completed_on"][:4])
            counts[year] = counts.get(year, 0) + 1
        this_year = today().year
        first = min([int(row["registered_at"][:4]), *counts])
        years = [TrainerYear(year=y, trainings=counts.get(y, 0), meets_plan=counts.get(y, 0) >= MIN_TRAININGS_A_YEAR)
                 for y in range(first, this_year + 1)]
        return TrainerView(
            trainer_id=row["trainer_id"], provider_id=row["provider_id"], code=row["code"], name=row["name"],
            registered_at=row["registered_at"], trained_this_year=counts.get(this_year, 0) >= MIN_TRAININGS_A_YEAR,
            years=years,
            trainings=[TrainerTrainingView(title=t["title"], organiser=t["organiser"], completed_on=t["completed_on"],
                                           class_hours=hours_of(t["half_hours"]), recorded_at=t["recorded_at"])
                       for t in trainings],
        )


def session_view(row: Any) -> SessionView:
    return SessionView(
        session_id=row["session_id"], provider_id=row["provider_id"], code=row["code"], course_code=row["course_code"],
        mode=row["mode"], trainer_id=row["trainer_id"], trainer_code=row["trainer_code"], starts_on=row["starts_on"],
        ends_on=row["ends_on"], scheduled_at=row["scheduled_at"],
    )


def attendance_view(row: Any) -> AttendanceView:
    return AttendanceView(
        attendance_id=row["attendance_id"], session_id=row["session_id"], staff_id=row["staff_id"],
        signed_in_at=row["signed_in_at"], signed_out_at=row["signed_out_at"],
        complete=row["signed_out_at"] is not None,
    )


_SESSION = ("SELECT s.*, t.code AS trainer_code FROM sessions s JOIN trainers t ON t.trainer_id = s.trainer_id"
            " WHERE s.provider_id = ? AND s.code = ?")


class Sessions:
    """A provider's sessions, attendance by badge scan, and what a completion may say of its delivery."""

    def __init__(self, records: ServiceApplication, catalogue: Catalogue, trainers: Trainers, people: People):
        self.records = records
        self.catalogue = catalogue
        self.trainers = trainers
        self.people = people

    def schedule(self, provider_id: UUID, data: NewSession, actor: dict[str, Any]) -> SessionView:
        """Schedule a session of one of the provider's courses by one of its trainers; 409 if the code is taken."""
        try:
            course = self.catalogue.course(provider_id, data.course_code)
        except NotFound:
            raise Invalid(f"no course {data.course_code} in this provider's catalogue", field="course_code",
                          code="unknown_course") from None
        if course.withdrawn_at:
            raise Invalid(f"course {data.course_code} is withdrawn", field="course_code", code="course_withdrawn")
        trainer = self._trainer(provider_id, data.trainer_code, "trainer_code")
        if data.ends_on < data.starts_on:
            raise Invalid("ends_on is before starts_on", field="ends_on", code="ends_before_start")
        if (data.ends_on - data.starts_on).days > 366:
            raise Invalid("a session lasts at most a year", field="ends_on", code="session_too_long")
        session = Session(
            provider_id=str(provider_id), code=data.code, course_id=course.course_id, course_code=course.code,
            mode=data.mode, trainer_id=trainer.trainer_id, starts_on=data.starts_on.isoformat(),
            ends_on=data.ends_on.isoformat(), actor=actor,
        )
        try:
            self.records.save_and_project(session)
        except IntegrityError:
            raise Conflict(f"session {data.code} is already scheduled", code="session_exists",
                           session_id=str(session.id)) from None
        return self.session(provider_id, data.code)

    def _trainer(self, provider_id: UUID | str, code: str, field: str) -> TrainerView:
        try:
            return self.trainers.trainer(UUID(str(provider_id)), code)
        except NotFound:
            raise Invalid(f"no trainer {code} at this provider", field=field, code="unknown_trainer") from None

    def session(self, provider_id: UUID, code: str) -> SessionView:
        row = self._session_row(provider_id, code)
        if row is None:
            raise NotFound(f"no session {code} at provider {provider_id}")
        return session_view(row)

    def _session_row(self, provider_id: UUID | str, code: str) -> Any:
        self.records.projector.catch_up("delivery")
        return self.records.store.query_one(_SESSION, (str(provider_id), code))

    def sessions(self, provider_id: UUID) -> list[SessionView]:
        self.catalogue.provider(provider_id)
        self.records.projector.catch_up("delivery")
        rows = self.records.store.query(
            "SELECT s.*, t.code AS trainer_code FROM sessions s JOIN trainers t ON t.trainer_id = s.trainer_id"
            " WHERE s.provider_id = ? ORDER BY s.starts_on, s.code", (str(provider_id),))
        return [session_view(r) for r in rows]

    def scan(self, provider_id: UUID, code: str, data: BadgeScan, actor: dict[str, Any]) -> tuple[AttendanceView, bool]:
        """Sign a person in or out of an offline session by the trainer's badge scan; True when new."""
        row = self._session_row(provider_id, code)
        if row is None:
            raise NotFound(f"no session {code} at provider {provider_id}")
        if row["mode"] != OFFLINE:
            raise Invalid("attendance is taken only at offline sessions", field="direction", code="session_online")
        if data.trainer_code != row["trainer_code"]:
            raise Invalid("only the session's trainer scans its attendance", field="trainer_code", code="not_the_trainer")
        if data.verdict != "valid":
            raise Invalid(f"the badge was not valid ({data.verdict}): nobody is signed in or out by it",
                          field="verdict", code="badge_not_valid")
        try:
            staff_id = str(UUID(data.staff_id))
        except ValueError:
            raise Invalid("staff_id is not a UUID", field="staff_id", code="invalid_staff_id") from None
        if self.people.person_nurseries(staff_id) is None:
            raise Invalid(f"no registered person with staff_id {staff_id}", field="staff_id", code="unknown_person")
        try:
            moment = parse_completed_at(data.scanned_at)
        except InvalidTime as exc:
            raise Invalid(f"scanned_at {exc}", field="scanned_at", code="invalid_scanned_at") from None
        if moment > dt.datetime.now(dt.UTC) + CLOCK_SKEW:
            raise Invalid("scanned_at is in the future", field="scanned_at", code="scanned_in_future")
        if not row["starts_on"] <= local_date(moment).isoformat() <= row["ends_on"]:
            raise Invalid(f"scanned_at is outside the session ({row['starts_on']} to {row['ends_on']})",
                          field="scanned_at", code="outside_session")
        stamp = utc_stamp(moment)
        attendance_id = attendance_id_for(row["session_id"], staff_id)
        fields = dict(scanned_at=stamp, badge=data.badge, verdict=str(data.verdict), actor=actor)
        if data.direction == "in":
            attendance = Attendance(session_id=row["session_id"], staff_id=staff_id, trainer_id=row["trainer_id"],
                                    **fields)
            try:
                self.records.save_and_project(attendance)
            except IntegrityError:
                existing = self.attendance(row["session_id"], staff_id)
                if existing is not None and existing.signed_in_at == stamp:
                    return existing, False  # the same scan sent again
                raise Conflict("already signed in to this session", code="already_signed_in",
                               attendance_id=str(attendance_id)) from None
        else:
            existing = self.attendance(row["session_id"], staff_id)
            if existing is None:
                raise Invalid("not signed in to this session: scan the badge at sign-in first", field="direction",
                              code="not_signed_in")
            if existing.signed_out_at == stamp:
                return existing, False
            aggregate: Attendance = self.records.repository.get(attendance_id)
            aggregate.sign_out(row["trainer_id"], **fields)
            self.records.save_and_project(aggregate)
        view = self.attendance(row["session_id"], staff_id)
        assert view is not None
        return view, True

    def attendance(self, session_id: str, staff_id: str) -> AttendanceView | None:
        self.records.projector.catch_up("delivery")
        row = self.records.store.query_one("SELECT * FROM attendance WHERE session_id = ? AND staff_id = ?",
                                           (session_id, staff_id))
        return attendance_view(row) if row is not None else None

    def attendance_list(self, provider_id: UUID, code: str) -> list[AttendanceView]:
        session = self.session(provider_id, code)
        rows = self.records.store.query("SELECT * FROM attendance WHERE session_id = ? ORDER BY signed_in_at, staff_id",
                                        (session.session_id,))
        return [attendance_view(r) for r in rows]

    # -- what a completion says of its delivery ------------------------------------------------

    def delivery_of(
        self, provider_id: UUID | str, item: NewCompletion, content: Content, prefix: str = "",
    ) -> tuple[Content, dict[str, Any] | None]:
        """The content with its delivery resolved, and the delivery to record; (content, None) when none is named."""
        if item.session_code is None and item.mode is None and item.trainer_code is None:
            return content, None
        trainer_id = None
        if item.trainer_code is not None:
            trainer_id = self._trainer(provider_id, item.trainer_code, prefix + "trainer_code").trainer_id
        if item.session_code is None:
            delivery = dict(session_id=None, session_code=None, mode=item.mode, trainer_id=trainer_id,
                            attendance_id=None)
            return replace(content, mode=item.mode, trainer_id=trainer_id), delivery
        row = self._session_row(provider_id, item.session_code)
        if row is None:
            raise Invalid(f"no session {item.session_code} at this provider", field=prefix + "session_code",
                          code="unknown_session")
        if row["course_code"] != item.course_code:
            raise Invalid(f"session {item.session_code} is of course {row['course_code']}, not {item.course_code}",
                          field=prefix + "session_code", code="session_course_mismatch")
        if item.mode is not None and item.mode != row["mode"]:
            raise Invalid(f"session {item.session_code} is {row['mode']}", field=prefix + "mode", code="mode_mismatch")
        if trainer_id is not None and trainer_id != row["trainer_id"]:
            raise Invalid(f"session {item.session_code} is given by trainer {row['trainer_code']}",
                          field=prefix + "trainer_code", code="trainer_mismatch")
        attendance_id = None
        if row["mode"] == OFFLINE:
            attended = self.attendance(row["session_id"], content.staff_id)
            if attended is None or not attended.complete:
                raise Invalid(f"no attendance at offline session {item.session_code} signed in and out by badge scan",
                              field=prefix + "session_code", code="no_attendance")
            attendance_id = attended.attendance_id
        delivery = dict(session_id=row["session_id"], session_code=row["code"], mode=row["mode"],
                        trainer_id=row["trainer_id"], attendance_id=attendance_id)
        return replace(content, session_code=row["code"], mode=row["mode"], trainer_id=row["trainer_id"]), delivery
