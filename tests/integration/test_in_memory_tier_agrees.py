"""The in-memory tier's desks decide as the services do, on SQLite and PostgreSQL.

``tests/fast`` runs the rules through desks on eventsourcing's in-memory store; here the same
scripts run through the real applications (use cases, read models, storage) and through a
desk, and every decision must agree. A desk that drifts from the use cases fails here.
"""

from __future__ import annotations

import datetime as dt
from contextlib import closing
from uuid import UUID

import pytest
from eventsourcing.persistence import IntegrityError

from contracts.credentials import NewCertificate, Revocation, Suspension
from services.credential.application import Credentials
from services.training.application import TrainingRecords
from shared.errors import Conflict
from shared.idnumber import make_valid
from tests.fast.desks import REGISTRAR as DESK_ACTOR
from tests.fast.desks import CredentialDesk, TrainingDesk
from tests.integration import certification_world as world
from tests.integration.training_world import approve, completion, learn_people, provider_actor

D = dt.date.fromisoformat
CHANGE_ON = "2025-08-20"  # when a listed suspension or revocation takes effect

# (certificates held: (type, issued, expires, change or None), role, start date)
ASSIGNMENTS = [
    ([("nursery_worker", "2023-03-01", "2028-02-29", None)], "nursery_worker", "2025-09-01"),
    ([("nursery_worker", "2023-03-01", "2028-02-29", None), ("health", "2025-08-15", "2026-08-14", None)],
     "nursery_worker", "2025-09-01"),
    ([("nursery_worker", "2023-03-01", "2028-02-29", None), ("health", "2025-09-02", "2026-09-01", None)],
     "nursery_worker", "2025-09-01"),
    ([("nursery_worker", "2023-03-01", "2028-02-29", None), ("health", "2024-08-15", "2025-08-14", None)],
     "nursery_worker", "2025-09-01"),
    ([("infant_care", "2024-06-30", "2029-06-30", "suspend"), ("health", "2025-08-15", "2026-08-14", None)],
     "infant_caregiver", "2025-09-01"),
    ([("infant_care", "2024-06-30", "2029-06-30", "revoke"), ("health", "2025-08-15", "2026-08-14", "revoke")],
     "infant_caregiver", "2025-09-01"),
    ([("teacher", "2023-07-01", "2099-12-31", None), ("health", "2025-08-15", "2026-08-14", None)],
     "teacher", "2025-09-01"),
]


@pytest.fixture
def credentials(settings):
    with closing(Credentials(settings)) as app:
        yield app


def service_decision(app: Credentials, held, role: str, start_on: str) -> tuple[bool, list[tuple[str, str]]]:
    nursery = world.nursery(app, "朱泾一托")
    person = world.person(app, "赵丽", nursery)
    for cert_type, issued, expires, change in held:
        cert = world.certificate(app, person, cert_type, D(issued), D(expires))
        if change == "suspend":
            app.certificates.suspend_certificate(UUID(cert), Suspension(reason="调查", effective_on=D(CHANGE_ON)), world.REGISTRAR)
        elif change == "revoke":
            app.certificates.revoke_certificate(UUID(cert), Revocation(reason="违规", category="ethics_violation",
                                                                       effective_on=D(CHANGE_ON)), world.REGISTRAR)
    try:
        world.assign(app, person, nursery, role, D(start_on))
    except Conflict as refused:
        assert refused.code == "not_certified"
        return False, [(s.cert_type, s.problem) for s in refused.extra["shortfalls"]]
    return True, []


def desk_decision(desk: CredentialDesk, held, role: str, start_on: str) -> tuple[bool, list[tuple[str, str]]]:
    nursery = desk.register_nursery("朱泾一托")
    person = desk.register_staff("赵丽", make_valid("31011619910921334"))
    for number, (cert_type, issued, expires, change) in enumerate(held):
        cert = desk.issue(person, cert_type, f"N{number}", D(issued), D(expires))
        if change == "suspend":
            desk.change(cert, lambda c: c.suspend(reason="调查", effective_on=D(CHANGE_ON), until=None,
                                                  actor=DESK_ACTOR))
        elif change == "revoke":
            desk.change(cert, lambda c: c.revoke(reason="违规", category="ethics_violation",
                                                 effective_on=D(CHANGE_ON), actor=DESK_ACTOR))
    decision = desk.assign(person, nursery, role, D(start_on))
    return decision.compliant, [(s.cert_type, s.problem) for r in decision.requirements for s in r.shortfalls]


@pytest.mark.parametrize("held, role, start_on", ASSIGNMENTS)
def test_assignment_decisions_agree(credentials, held, role, start_on):
    assert service_decision(credentials, held, role, start_on) == desk_decision(CredentialDesk(), held, role, start_on)


def test_both_judge_each_day_by_the_policy_in_force_then(settings):
    """Policy v2 adopted to come into force in ten days: the day before keeps v1's answer, the day itself gets v2's."""
    import msgspec

    from contracts.policy import PolicyDocument
    from services.credential.domain.policy import shanghai_v2_document
    from shared.district import today

    now = today()
    change = now + dt.timedelta(days=10)
    held = [("nursery_worker", (now - dt.timedelta(days=400)).isoformat(), (now + dt.timedelta(days=900)).isoformat(), None),
            ("health", (now - dt.timedelta(days=100)).isoformat(), (now + dt.timedelta(days=265)).isoformat(), None)]
    v2 = shanghai_v2_document()
    days = (change - dt.timedelta(days=1), change)
    with closing(Credentials(settings)) as app:
        people = []
        for town in ("朱泾镇", "枫泾镇"):
            nursery = world.nursery(app, f"{town}一托", town=town)
            person = world.person(app, "赵丽", nursery)
            for cert_type, issued, expires, _ in held:  # recorded under v1, before v2 is adopted
                world.certificate(app, person, cert_type, D(issued), D(expires))
            people.append((nursery, person))
        app.policies.adopt_policy(msgspec.convert(msgspec.to_builtins(v2), type=PolicyDocument), "v2", world.REGISTRAR,
                                  effective_on=change)
        service = []
        for (nursery, person), day in zip(people, days):
            try:
                world.assign(app, person, nursery, "nursery_worker", day)
                service.append((True, []))
            except Conflict as refused:
                service.append((False, [(s.cert_type, s.problem) for s in refused.extra["shortfalls"]]))
    for decided, day in zip(service, days):
        desk = CredentialDesk()
        desk.adopt_policy(v2, "v2", effective_on=change)
        assert decided == desk_decision(desk, held, "nursery_worker", day.isoformat())
    assert service[0] == (True, [])
    assert service[1][0] is False
    assert set(service[1][1]) == {("nursery_worker", "level_too_low"), ("background_check", "missing")}


def test_both_refuse_a_second_registration_and_a_second_certificate_number(credentials):
    number = make_valid("31011619900307123")
    desk = CredentialDesk()
    first = credentials.registry.register_staff(name="王芳", id_number=number, registered_by=None, actor=world.REGISTRAR)
    desk_first = desk.register_staff("王芳", number)
    with pytest.raises(Conflict) as refused:
        credentials.registry.register_staff(name="王芳", id_number=number.lower(), registered_by=None, actor=world.REGISTRAR)
    assert refused.value.code == "already_registered" and refused.value.extra["staff_id"] == first.staff_id
    with pytest.raises(IntegrityError):
        desk.register_staff("王芳", number.lower())

    world.certificate(credentials, first.staff_id, "health", D("2025-01-10"), D("2026-01-09"))
    number_used = credentials.certificates.certificates_of([first.staff_id])[first.staff_id][0]["number"]
    with pytest.raises(Conflict) as duplicate:
        credentials.certificates.issue_certificate(NewCertificate(
            cert_type="health", number=number_used, issuing_body="x", issued_on=D("2025-02-01"),
            expires_on=D("2026-01-31"), holder_id=first.staff_id,
        ), role="registrar", visible_to=None, actor=world.REGISTRAR)
    assert duplicate.value.code == "duplicate_certificate"
    desk.issue(desk_first, "health", number_used, D("2025-01-10"), D("2026-01-09"))
    with pytest.raises(IntegrityError):
        desk.issue(desk_first, "health", number_used, D("2025-02-01"), D("2026-01-31"))


# (event id, course, completed at, class hours): retries, conflicts, rejections, the same course twice, 72/40
POSTS = [
    ("E1", "SK01", "2025-03-01T10:00:00+08:00", 8),
    ("E1", "SK01", "2025-03-01T02:00:00Z", 8),  # a retry, the instant in UTC
    ("E1", "SK02", "2025-03-01T10:00:00+08:00", 8),  # the id reused for another course
    ("E2", "SK01", "2025-10-01T10:00:00+08:00", 8),  # the same course again in 2025
    ("E3", "SK02", "2025-04-01T10:00:00+08:00", 6),  # hours do not match the catalogue
    ("E4", "NOPE", "2025-04-01T10:00:00+08:00", 8),
    ("E5", "MH26", "2025-12-31T17:30:00Z", 2),  # 2026-01-01 in Shanghai, when the course is available
    *[(f"S{i}", f"SK0{i}", f"2025-0{i}-15T10:00:00+08:00", 8) for i in range(2, 10)],
    *[(f"T{i}", f"ET{i:02d}", f"2025-05-{i:02d}T10:00:00+08:00", 4) for i in range(1, 10)],
]


def test_posting_outcomes_and_the_year_agree(settings):
    with closing(TrainingRecords(settings)) as training:
        posting_agrees(training)


def posting_agrees(training: TrainingRecords) -> None:
    provider = approve(training)
    (person,) = learn_people(training, 1)
    desk = TrainingDesk()
    desk_provider = desk.approve_provider("SOU", "上海开放大学")
    for course in training.catalogue.courses(provider):
        desk.catalogue(desk_provider, course.code, course.category, course.class_hours,
                       available_from=D(str(course.available_from)))
    desk.learn_person(person)

    for event_id, course, at, hours in POSTS:
        (service,) = training.posting.post_completions(provider, [completion(event_id, person, course, at, hours)],
                                                       provider_actor(provider))
        mine = desk.post(desk_provider, event_id=event_id, staff_id=person, course_code=course, completed_at=at,
                         class_hours=hours)
        assert (mine.outcome, mine.differences, mine.error and mine.error.code) == (
            service.outcome, service.differences, service.error and service.error.code), event_id

    for year in (2025, 2026):
        service_year = training.ledger.person_year(UUID(person), year)
        entries, totals = desk.year(person, year)
        assert [(e.course_code, e.status, e.reason) for e in service_year.entries] == [
            (entry.course_code, status.status, status.reason) for entry, status in entries]
        assert (service_year.skills.shortfall * 2, service_year.ethics.shortfall * 2, service_year.complete) == (
            totals.shortfall["skills"], totals.shortfall["ethics"], totals.complete)
