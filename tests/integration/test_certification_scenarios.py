"""人证合一 from the users' side, on SQLite and PostgreSQL: HR, the registrar, the district report."""

import datetime as dt

import pytest

from contracts.credentials import AssignmentEnd, NewViolation, Renewal, Revocation, Suspension
from services.credential.application import Credentials
from services.credential.application import queries
from services.credential.application.common import today
from shared.errors import Conflict
from tests.integration.certification_world import REGISTRAR, assign, certificate, nursery, person

D = dt.date.fromisoformat
DAY = dt.timedelta(days=1)


@pytest.fixture
def credentials(settings):
    app = Credentials(settings)
    yield app
    app.close()


def test_an_hr_clerk_assigning_an_uncertified_nursery_worker_is_told_exactly_what_is_missing(credentials):
    zhujing = nursery(credentials, "朱泾一托")
    li = person(credentials, "李丽", zhujing)
    old_health = certificate(credentials, li, "health", D("2025-01-01"), D("2025-12-31"))
    with pytest.raises(Conflict) as refused:
        assign(credentials, li, zhujing, "nursery_worker", D("2026-03-01"))
    problem = refused.value
    assert problem.code == "not_certified" and problem.extra["policy_version"] == 1
    assert [(s.cert_type, s.problem, s.certificate_id) for s in problem.extra["shortfalls"]] == [
        ("nursery_worker", "missing", None),
        ("health", "expired", old_health),
    ]
    assert credentials.reports.roster(zhujing, on=D("2026-03-01")).people == 0

    certificate(credentials, li, "nursery_worker", D("2026-02-01"), D("2029-01-31"))
    certificate(credentials, li, "health", D("2026-02-15"), D("2027-02-14"))
    assignment = credentials.assignments.assignment(assign(credentials, li, zhujing, "nursery_worker", D("2026-03-01")), on=D("2026-03-01"))
    assert assignment.compliance.compliant and assignment.policy_version == 1


def test_a_registrar_revoking_for_an_ethics_violation_makes_the_worker_non_compliant_in_the_roster_at_once(credentials):
    now = today()
    zhujing = nursery(credentials, "朱泾一托")
    wang, zhao = person(credentials, "王芳", zhujing), person(credentials, "赵敏", zhujing)
    for someone in (wang, zhao):
        certificate(credentials, someone, "health", now - 100 * DAY, now + 265 * DAY)
    wang_cert = certificate(credentials, wang, "nursery_worker", now - 400 * DAY, now + 700 * DAY)
    certificate(credentials, zhao, "nursery_worker", now - 400 * DAY, now + 700 * DAY)
    for someone in (wang, zhao):
        assign(credentials, someone, zhujing, "nursery_worker", now - 30 * DAY)
    assert credentials.reports.roster(zhujing, on=now).certified_rate == 1.0

    violation = credentials.integrity.record_violation(NewViolation(
        staff_id=wang, what="体罚幼儿 (corporal punishment of a child)", occurred_on=now - 2 * DAY,
        action="revocation", certificate_ids=[wang_cert],
    ), REGISTRAR)

    roster = credentials.reports.roster(zhujing, on=now)
    assert (roster.people, roster.compliant_people, roster.certified_rate) == (2, 1, 0.5)
    first = roster.entries[0]
    assert (first.staff_id, first.compliant) == (wang, False)
    (shortfall,) = first.assignments[0].compliance.requirements[0].shortfalls
    assert (shortfall.cert_type, shortfall.problem, shortfall.certificate_id) == ("nursery_worker", "revoked", wang_cert)
    assert credentials.certificates.certificate(wang_cert).status == "revoked"
    profile = credentials.reports.profile(wang, on=now, visible_to=None, with_integrity=True)
    assert [(v.violation_id, v.action, v.certificate_ids) for v in profile.integrity_record] == [
        (violation.violation_id, "revocation", [wang_cert])]
    assert credentials.reports.roster(zhujing, on=now - DAY).certified_rate == 1.0  # as it stood yesterday


def test_a_certificate_that_expired_yesterday_makes_the_worker_non_compliant_today_and_not_before(credentials):
    now = today()
    zhujing = nursery(credentials, "朱泾一托")
    chen = person(credentials, "陈静", zhujing)
    certificate(credentials, chen, "nursery_worker", now - 400 * DAY, now + 700 * DAY)
    health = certificate(credentials, chen, "health", now - 365 * DAY, now - DAY)
    assign(credentials, chen, zhujing, "nursery_worker", now - 200 * DAY)

    (entry,) = credentials.reports.roster(zhujing, on=now).entries
    assert not entry.compliant
    assert entry.assignments[0].compliance.requirements[0].shortfalls[0].problem == "expired"
    assert credentials.reports.roster(zhujing, on=now - DAY).entries[0].compliant
    assert credentials.reports.roster(zhujing, on=now - 10 * DAY).certified_rate == 1.0

    credentials.certificates.renew_certificate(health, Renewal(expires_on=now + 364 * DAY, note="annual check-up passed"), REGISTRAR)
    assert credentials.reports.roster(zhujing, on=now).entries[0].compliant
    assert credentials.reports.roster(zhujing, on=now - DAY).entries[0].compliant  # the day before, the old expiry held


def test_a_suspension_with_an_end_date_lapses_the_worker_only_while_it_lasts(credentials):
    zhujing = nursery(credentials, "朱泾一托")
    zhou = person(credentials, "周敏", zhujing)
    cert = certificate(credentials, zhou, "infant_care", D("2025-01-01"), D("2030-01-01"))
    certificate(credentials, zhou, "health", D("2026-01-01"), D("2026-12-31"))
    assign(credentials, zhou, zhujing, "infant_caregiver", D("2026-02-01"))
    credentials.certificates.suspend_certificate(
        cert, Suspension(reason="complaint under investigation", effective_on=D("2026-04-01"), until=D("2026-04-30")), REGISTRAR
    )
    assert [credentials.reports.roster(zhujing, on=D(d)).compliant_people for d in ("2026-03-31", "2026-04-15", "2026-05-01")] == [1, 0, 1]


def test_the_district_report_from_real_data(credentials, monkeypatch):
    on = D("2026-10-01")
    valid = (D("2026-01-01"), D("2027-12-31"))
    public_kg = nursery(credentials, "石化一幼", "石化街道", "public", "kindergarten")
    private_kg = nursery(credentials, "枫泾民办幼儿园", "枫泾镇", "private", "kindergarten")
    public_nursery = nursery(credentials, "朱泾一托", "朱泾镇", "public", "nursery")

    def worker(name, where, role, *certs, start=D("2026-09-01")):
        someone = person(credentials, name, where)
        for cert_type, (issued_on, expires_on) in certs:
            certificate(credentials, someone, cert_type, issued_on, expires_on)
        assign(credentials, someone, where, role, start)
        return someone

    worker("教师甲", public_kg, "teacher", ("teacher", valid), ("health", valid), ("infant_care", valid))
    t2 = worker("教师乙", public_kg, "teacher", ("teacher", valid), ("health", valid))
    worker("教师丙", public_kg, "teacher", ("teacher", valid), ("health", valid), ("infant_care", valid))
    worker("教师丁", public_kg, "teacher", ("teacher", valid), ("health", valid),
           ("infant_care", (D("2023-01-01"), D("2026-06-30"))))  # infant care lapsed before D
    worker("教师戊", private_kg, "teacher", ("teacher", valid), ("health", valid), ("infant_care", valid))
    worker("保育员甲", public_nursery, "nursery_worker", ("nursery_worker", valid), ("health", valid))
    worker("保育员乙", public_nursery, "nursery_worker", ("nursery_worker", valid),
           ("health", (D("2025-09-15"), D("2026-09-14"))))  # health certificate expired after the start
    left = worker("教师己", public_kg, "teacher", ("teacher", valid), ("health", valid), start=D("2026-02-01"))
    (ended,) = credentials.reports.profile(left, on=on, visible_to=None, with_integrity=True).assignments
    credentials.assignments.end_assignment(ended.assignment_id, AssignmentEnd(end_on=D("2026-08-31"), reason="调离"), visible_to=None, actor=REGISTRAR)
    t2_health = next(c for c in credentials.reports.profile(t2, on=on, visible_to=None, with_integrity=True).certificates if c.cert_type == "health")
    credentials.certificates.revoke_certificate(t2_health.certificate_id, Revocation(
        reason="forged medical report", category="fraud", effective_on=D("2026-09-20")), REGISTRAR)

    figures = credentials.reports.district_figures(on=on)

    # By hand: 7 people at work on 1 Oct (教师己 left on 31 Aug); 教师乙 (health revoked) and
    # 保育员乙 (health expired 14 Sep) are not certified: 5 / 7.
    assert (figures.people, figures.compliant_people, figures.certified_rate) == (7, 5, round(5 / 7, 4))
    per_nursery = {f.nursery_id: (f.people, f.compliant_people, f.certified_rate) for f in figures.nurseries}
    assert per_nursery == {public_kg: (4, 3, 0.75), private_kg: (1, 1, 1.0), public_nursery: (2, 1, 0.5)}
    # Public kindergarten teachers: 甲 乙 丙 丁; valid 育婴员证 on D: 甲 丙 (丁's lapsed) -> 2 / 4, below 75%.
    share = figures.public_kindergarten_teachers
    assert (share.teachers, share.with_infant_care, share.share, share.target, share.meets_target) == (4, 2, 0.5, 0.75, False)
    assert figures.policy_version == 1
    assert figures.nurseries[0].nursery_id == public_nursery  # worst first

    monkeypatch.setattr(queries, "DISTRICT_PAGE", 2)  # the report reads people a page at a time: any page size
    assert credentials.reports.district_figures(on=on) == figures
