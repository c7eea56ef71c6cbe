"""The 人证合一 rule as a pure function of certificate facts and a date: no I/O, no clock."""

import datetime as dt

from services.credential.domain.compliance import (
    CertificateFacts, ExpiryChange, StatusChange, assignment_active, evaluate, expires_within, expiry_on, standing_on,
)
from services.credential.domain.policy import RequirementGroup, RoleSpec, canonical_content, default_document, load_policy

D = dt.date.fromisoformat
POLICY = load_policy(1, canonical_content(default_document()))
NURSERY_WORKER = POLICY.role("nursery_worker")


def cert(cert_type, number="N1", issued="2025-01-01", expires="2027-01-01", renewals=(), changes=()):
    return CertificateFacts(
        certificate_id=f"id-{cert_type}-{number}", cert_type=cert_type, number=number, holder_id="p",
        issued_on=issued, expiries=(ExpiryChange(issued, expires), *renewals), changes=tuple(changes),
    )


def test_a_certificate_is_valid_from_its_issue_date_through_its_expiry_date():
    c = cert("health", issued="2026-01-01", expires="2026-12-31")
    assert standing_on(c, D("2025-12-31")) == "not_yet_valid"
    assert standing_on(c, D("2026-01-01")) == "valid"
    assert standing_on(c, D("2026-12-31")) == "valid"
    assert standing_on(c, D("2027-01-01")) == "expired"


def test_a_renewal_counts_from_its_effective_date_so_the_gap_before_it_stays_a_lapse():
    c = cert("health", issued="2025-01-01", expires="2025-12-31", renewals=[ExpiryChange("2026-02-01", "2026-12-31")])
    assert standing_on(c, D("2026-01-15")) == "expired"
    assert standing_on(c, D("2026-02-01")) == "valid" and expiry_on(c, D("2026-02-01")) == "2026-12-31"


def test_a_suspension_holds_from_its_date_through_its_until_date_or_until_reinstated():
    timed = cert("nursery_worker", changes=[StatusChange(on="2026-03-01", status="suspended", until="2026-03-31")])
    assert [standing_on(timed, D(d)) for d in ("2026-02-28", "2026-03-01", "2026-03-31", "2026-04-01")] == [
        "valid", "suspended", "suspended", "valid"]
    open_ended = cert("nursery_worker", changes=[
        StatusChange(on="2026-03-01", status="suspended"), StatusChange(on="2026-05-01", status="active")])
    assert standing_on(open_ended, D("2026-04-30")) == "suspended"
    assert standing_on(open_ended, D("2026-05-01")) == "valid"


def test_a_revocation_outranks_expiry_and_is_final():
    c = cert("nursery_worker", expires="2026-06-30", changes=[StatusChange(on="2026-03-01", status="revoked")])
    assert standing_on(c, D("2026-02-28")) == "valid"
    assert standing_on(c, D("2026-03-01")) == "revoked"
    assert standing_on(c, D("2027-01-01")) == "revoked"


def test_a_person_without_certificates_is_told_each_missing_type():
    decision = evaluate(POLICY, NURSERY_WORKER, [], D("2026-09-01"))
    assert not decision.compliant and decision.policy_version == 1
    (group,) = decision.requirements
    assert [(s.cert_type, s.problem) for s in group.shortfalls] == [("nursery_worker", "missing"), ("health", "missing")]


def test_a_certificate_expiring_yesterday_is_non_compliant_today_and_compliant_before():
    held = [cert("nursery_worker"), cert("health", number="H1", issued="2025-11-01", expires="2026-10-31")]
    today = evaluate(POLICY, NURSERY_WORKER, held, D("2026-11-01"))
    assert not today.compliant
    (shortfall,) = today.requirements[0].shortfalls
    assert (shortfall.cert_type, shortfall.problem, shortfall.expires_on) == ("health", "expired", "2026-10-31")
    assert evaluate(POLICY, NURSERY_WORKER, held, D("2026-10-31")).compliant


def test_a_valid_certificate_of_a_type_wins_over_an_old_expired_one():
    held = [cert("nursery_worker"), cert("health", "OLD", "2024-01-01", "2024-12-31"), cert("health", "NEW", "2025-01-01", "2026-12-31")]
    assert evaluate(POLICY, NURSERY_WORKER, held, D("2026-06-01")).compliant


def test_any_of_needs_one_valid_member_and_names_them_all_when_none_is():
    role = RoleSpec(code="carer", name_zh="x", name_en="x", requires=[RequirementGroup(any_of=["teacher", "infant_care"])])
    suspended = cert("teacher", changes=[StatusChange(on="2026-01-01", status="suspended")])
    assert evaluate(POLICY, role, [cert("infant_care")], D("2026-06-01")).compliant
    decision = evaluate(POLICY, role, [suspended], D("2026-06-01"))
    assert not decision.compliant
    assert [(s.cert_type, s.problem) for s in decision.requirements[0].shortfalls] == [
        ("teacher", "suspended"), ("infant_care", "missing")]


def test_expiring_soon_counts_only_valid_certificates_within_the_window():
    c = cert("health", issued="2026-01-01", expires="2026-12-31")
    assert expires_within(c, D("2026-12-01"), 30) == 30
    assert expires_within(c, D("2026-11-30"), 30) is None
    assert expires_within(c, D("2027-01-01"), 30) is None


def test_an_assignment_is_active_from_its_start_through_its_last_day():
    assert not assignment_active("2026-09-01", "2026-12-31", D("2026-08-31"))
    assert assignment_active("2026-09-01", "2026-12-31", D("2026-12-31"))
    assert not assignment_active("2026-09-01", "2026-12-31", D("2027-01-01"))
    assert assignment_active("2026-09-01", None, D("2030-01-01"))


def test_the_default_policy_requires_each_roles_own_certificate_and_a_health_certificate():
    expected = {
        "infant_caregiver": "infant_care", "nursery_worker": "nursery_worker", "health_worker": "health_worker",
        "institution_head": "institution_head", "finance_staff": "finance", "security_guard": "security_guard",
        "teacher": "teacher",
    }
    assert set(POLICY.roles) == set(expected)
    for role, own in expected.items():
        assert [g.all_of for g in POLICY.role(role).requires] == [[own, "health"]]
    assert POLICY.certificate_type("health").recordable_by == ["registrar", "hr"]
    assert POLICY.certificate_type("nursery_worker").recordable_by == ["registrar"]
