"""Stories of 人证合一 / 持证上岗, in memory: nobody is assigned to a role without every certificate
it requires on the start date, and a lapse makes the person non-compliant at once."""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest
from eventsourcing.persistence import IntegrityError

from services.credential.domain.policy import default_document
from shared import idnumber
from shared.district import today
from tests.fast.desks import REGISTRAR, CredentialDesk

pytestmark = pytest.mark.fast

D = dt.date.fromisoformat


@pytest.fixture
def desk() -> CredentialDesk:
    return CredentialDesk()


@pytest.fixture
def nursery(desk: CredentialDesk) -> str:
    return desk.register_nursery("朱泾镇阳光托育园")


@pytest.fixture
def zhao(desk: CredentialDesk) -> str:
    return desk.register_staff("赵丽", idnumber.make_valid("31011619910921334"))


def shortfalls(decision) -> list[tuple[str, str]]:
    return [(s.cert_type, s.problem) for r in decision.requirements for s in r.shortfalls]


def test_a_nursery_worker_without_a_health_certificate_is_refused_and_told_what_is_missing(desk, nursery, zhao):
    desk.issue(zhao, "nursery_worker", "3101162023004567", D("2023-03-01"), D("2028-02-29"))

    decision = desk.assign(zhao, nursery, "nursery_worker", D("2025-09-01"))

    assert not decision.compliant and decision.policy_version == 1
    assert shortfalls(decision) == [("health", "missing")]
    assert desk.assignments_of(zhao) == []


def test_with_both_certificates_valid_on_the_start_date_the_assignment_is_recorded(desk, nursery, zhao):
    desk.issue(zhao, "nursery_worker", "3101162023004567", D("2023-03-01"), D("2028-02-29"))
    desk.issue(zhao, "health", "JS2025-0045127", D("2025-08-15"), D("2026-08-14"))

    decision = desk.assign(zhao, nursery, "nursery_worker", D("2025-09-01"))

    assert decision.compliant and shortfalls(decision) == []
    (made,) = desk.assignments_of(zhao)
    assert (made.nursery_id, made.role, made.start_on, made.policy_version) == (nursery, "nursery_worker", "2025-09-01", 1)


def test_a_certificate_that_starts_after_the_start_date_does_not_count_yet(desk, nursery, zhao):
    desk.issue(zhao, "nursery_worker", "3101162023004567", D("2023-03-01"), D("2028-02-29"))
    desk.issue(zhao, "health", "JS2025-0045127", D("2025-09-02"), D("2026-09-01"))

    assert shortfalls(desk.assign(zhao, nursery, "nursery_worker", D("2025-09-01"))) == [("health", "not_yet_valid")]
    assert desk.assign(zhao, nursery, "nursery_worker", D("2025-09-02")).compliant


@pytest.mark.parametrize("change, problem", [
    (lambda c: c.suspend(reason="调查", effective_on=D("2025-08-01"), until=None, actor=REGISTRAR), "suspended"),
    (lambda c: c.revoke(reason="违规", category="ethics_violation", effective_on=D("2025-08-01"), actor=REGISTRAR),
     "revoked"),
])
def test_a_suspended_or_revoked_certificate_is_named_in_the_refusal(desk, nursery, zhao, change, problem):
    cert = desk.issue(zhao, "nursery_worker", "3101162023004567", D("2023-03-01"), D("2028-02-29"))
    desk.issue(zhao, "health", "JS2025-0045127", D("2025-08-15"), D("2026-08-14"))
    desk.change(cert, change)

    decision = desk.assign(zhao, nursery, "nursery_worker", D("2025-09-01"))

    assert shortfalls(decision) == [("nursery_worker", problem)]
    assert decision.requirements[0].shortfalls[0].number == "3101162023004567"
    assert desk.assignments_of(zhao) == []


def test_when_the_health_certificate_expires_the_assigned_worker_is_non_compliant_that_very_day(desk, nursery, zhao):
    desk.issue(zhao, "nursery_worker", "3101162023004567", D("2023-03-01"), D("2028-02-29"))
    desk.issue(zhao, "health", "JS2025-0045127", D("2025-08-15"), D("2026-08-14"))
    assert desk.assign(zhao, nursery, "nursery_worker", D("2025-09-01")).compliant

    assert desk.compliance(zhao, "nursery_worker", D("2026-08-14")).compliant
    lapsed = desk.compliance(zhao, "nursery_worker", D("2026-08-15"))  # nothing was re-run: the date moved on
    assert not lapsed.compliant and shortfalls(lapsed) == [("health", "expired")]
    assert len(desk.assignments_of(zhao)) == 1  # the assignment stands; it is its compliance that shows the lapse


def test_another_valid_certificate_of_the_same_type_speaks_for_the_person(desk, nursery, zhao):
    desk.issue(zhao, "nursery_worker", "3101162023004567", D("2023-03-01"), D("2028-02-29"))
    old = desk.issue(zhao, "health", "JS2024-0001", D("2024-08-15"), D("2025-08-14"))
    desk.issue(zhao, "health", "JS2025-0045127", D("2025-08-10"), D("2026-08-09"))
    desk.change(old, lambda c: c.revoke(reason="补发", category="error", effective_on=D("2025-08-10"), actor=REGISTRAR))

    assert desk.assign(zhao, nursery, "nursery_worker", D("2025-09-01")).compliant


def test_the_same_assignment_recorded_twice_is_refused_by_the_event_store(desk, nursery, zhao):
    desk.issue(zhao, "nursery_worker", "3101162023004567", D("2023-03-01"), D("2028-02-29"))
    desk.issue(zhao, "health", "JS2025-0045127", D("2025-08-15"), D("2026-08-14"))
    desk.assign(zhao, nursery, "nursery_worker", D("2025-09-01"))

    with pytest.raises(IntegrityError):
        desk.assign(zhao, nursery, "nursery_worker", D("2025-09-01"))
    assert len(desk.assignments_of(zhao)) == 1


def test_a_new_policy_version_judges_the_days_from_its_effective_date_and_each_assignment_records_its_version(
        desk, nursery, zhao):
    """The registrar decides that teachers also need the infant-care certificate (the 75% target), from a later
    day: the days before it keep version 1's answer (as ``Policies.policy_on`` answers in the service)."""
    now = today()
    desk.issue(zhao, "teacher", "20233101142000123", D("2023-07-01"), D("2099-12-31"))
    desk.issue(zhao, "health", "JS2026-0045127", now - dt.timedelta(days=100), now + dt.timedelta(days=265))
    assert desk.assign(zhao, nursery, "teacher", now - dt.timedelta(days=30)).compliant

    document = msgspec.to_builtins(default_document())
    for role in document["roles"]:
        if role["code"] == "teacher":
            role["requires"] = [{"all_of": ["teacher", "health", "infant_care"]}]
    change = now + dt.timedelta(days=30)
    version = desk.adopt_policy(msgspec.convert(document, type(default_document())), "教师须持育婴员证", effective_on=change)

    day_before = desk.assign(zhao, desk.register_nursery("枫泾镇小太阳幼儿园", town="枫泾镇", kind="kindergarten"),
                             "teacher", change - dt.timedelta(days=1))
    assert (day_before.compliant, day_before.policy_version) == (True, 1)
    refused = desk.assign(zhao, desk.register_nursery("亭林镇幼儿园", town="亭林镇", kind="kindergarten"), "teacher", change)
    assert version == 2 and refused.policy_version == 2
    assert shortfalls(refused) == [("infant_care", "missing")]
    assert [a.policy_version for a in desk.assignments_of(zhao)] == [1, 1]
