"""Policy v2 on SQLite and PostgreSQL: levels, checks that fall due, the policy in force on each date,
and a populated v1 store migrating by one event whose replay and audit proofs still verify."""

import datetime as dt

import pytest

from contracts.credentials import NewCertificate
from services.credential.application import Credentials
from services.credential.application.common import today
from services.credential.domain.compliance import add_months
from services.credential.domain.policy import shanghai_v2_document
from shared.audit.replay import replay
from shared.errors import Conflict, Invalid
from tests.audit_support import audit_settings, export_and_verify, use_settings  # noqa: F401
from tests.conftest import issue
from tests.integration.certification_world import REGISTRAR, assign, certificate, nursery, person
from tests.integration.test_audit_proofs import mth, unhex, verify_consistency, verify_inclusion

DAY = dt.timedelta(days=1)
_numbers = iter(range(1, 10**6))


def record(app, holder, cert_type, issued_on, *, expires_on=None, level=None, result="passed", by="上海市金山区妇幼保健所"):
    data = NewCertificate(cert_type=cert_type, number=f"V2-{cert_type.upper()}-{next(_numbers):05d}", issuing_body=by,
                          issued_on=issued_on, expires_on=expires_on, holder_id=holder, level=level, result=result)
    return app.certificates.issue_certificate(data, role="registrar", visible_to=None, actor=REGISTRAR)


def adopt_v2(app, effective_on=None):
    from contracts.policy import PolicyDocument
    import msgspec

    document = msgspec.convert(msgspec.to_builtins(shanghai_v2_document()), type=PolicyDocument)
    return app.policies.adopt_policy(document, "policy v2: levels, health and background checks", REGISTRAR,
                                     effective_on=effective_on)


def checked_worker(app, nursery_id, name, *, health_on, level=4, role="nursery_worker"):
    """A person with a levelled certificate, a health check taken on ``health_on`` and a background check."""
    someone = person(app, name, nursery_id)
    cert = "nursery_worker" if role == "nursery_worker" else "infant_care"
    record(app, someone, cert, today() - 400 * DAY, level=level, by="上海市职业技能鉴定中心")
    record(app, someone, "health", health_on)
    record(app, someone, "background_check", today() - 30 * DAY, by="上海市公安局金山分局")
    return someone


@pytest.fixture
def credentials(settings):
    app = Credentials(settings)
    yield app
    app.close()


def test_a_date_before_the_policy_change_keeps_v1s_answer_and_a_date_after_it_gets_v2s(credentials):
    zhujing = nursery(credentials, "朱泾一托")
    li = person(credentials, "李丽", zhujing)
    certificate(credentials, li, "nursery_worker", today() - 100 * DAY, today() + 900 * DAY)
    certificate(credentials, li, "health", today() - 100 * DAY, today() + 200 * DAY)
    assign(credentials, li, zhujing, "nursery_worker", today() - 90 * DAY)
    change = today() + 10 * DAY
    adopted = adopt_v2(credentials, effective_on=change)
    assert (adopted.version, adopted.effective_on) == (2, change.isoformat())

    before = credentials.reports.roster(zhujing, on=change - DAY)
    after = credentials.reports.roster(zhujing, on=change)
    assert (before.policy_version, before.compliant_people) == (1, 1)
    assert (after.policy_version, after.compliant_people) == (2, 0)
    problems = {(s.cert_type, s.problem) for a in after.entries[0].assignments
                for r in a.compliance.requirements for s in r.shortfalls}
    assert problems == {("nursery_worker", "level_too_low"), ("background_check", "missing")}
    assert credentials.reports.district_figures(on=change - DAY).compliant_people == 1
    assert credentials.reports.district_figures(on=change).compliant_people == 0
    assert credentials.policies.policy_view(on=change - DAY).version == 1

    # the registrar records what v2 asks for: the level (an upgrade is a new certificate) and the check
    record(credentials, li, "nursery_worker", today() - 5 * DAY, level=4, by="上海市职业技能鉴定中心")
    record(credentials, li, "background_check", today() - 5 * DAY, by="上海市公安局金山分局")
    assert credentials.reports.roster(zhujing, on=change).compliant_people == 1


def test_a_policy_is_not_put_in_force_in_the_past(credentials):
    with pytest.raises(Invalid) as refused:
        adopt_v2(credentials, effective_on=today() - DAY)
    assert refused.value.field == "effective_on"
    assert credentials.policies.current_policy().version == 1


def test_an_overdue_health_recheck_makes_the_person_non_compliant_on_its_due_day(credentials):
    adopt_v2(credentials, effective_on=today())
    zhujing = nursery(credentials, "朱泾一托")
    taken = today() - 340 * DAY
    wang = checked_worker(credentials, zhujing, "王芳", health_on=taken)
    assign(credentials, wang, zhujing, "nursery_worker", today())
    due = add_months(taken, 12)
    assert credentials.reports.roster(zhujing, on=due - DAY).compliant_people == 1
    on_due = credentials.reports.roster(zhujing, on=due)
    assert on_due.compliant_people == 0
    assert [(s.cert_type, s.problem) for a in on_due.entries[0].assignments for r in a.compliance.requirements
            for s in r.shortfalls] == [("health", "recheck_due")]
    assert credentials.reports.district_figures(on=due).compliant_people == 0
    listed = credentials.reports.checks_due(on=today(), within=30)
    assert [(c.holder_name, c.cert_type, c.kind, c.due_on) for c in listed] == [("王芳", "health", "health_check", due.isoformat())]
    assert credentials.reports.checks_due(on=today(), within=(due - today()).days - 1) == []

    record(credentials, wang, "health", due - 3 * DAY)  # re-checked in time
    assert credentials.reports.roster(zhujing, on=due).compliant_people == 1
    assert credentials.reports.checks_due(on=today(), within=30) == []


def test_a_check_kept_valid_longer_than_the_roles_interval_is_due_by_the_role(credentials):
    adopt_v2(credentials, effective_on=today())
    zhujing = nursery(credentials, "朱泾一托")
    taken = today() - 300 * DAY
    zhou = checked_worker(credentials, zhujing, "周敏", health_on=today() - 10 * DAY)
    record(credentials, zhou, "background_check", taken, expires_on=taken + 700 * DAY, by="上海市公安局金山分局")
    assign(credentials, zhou, zhujing, "nursery_worker", today())
    profile = credentials.reports.profile(zhou, on=add_months(today() - 30 * DAY, 12), visible_to=None, with_integrity=False)
    assert profile.assignments[0].compliance.compliant is False
    assert [(s.cert_type, s.problem) for r in profile.assignments[0].compliance.requirements for s in r.shortfalls] == [
        ("background_check", "recheck_due")]


def test_a_failed_check_counts_for_nothing(credentials):
    adopt_v2(credentials, effective_on=today())
    zhujing = nursery(credentials, "朱泾一托")
    chen = person(credentials, "陈静", zhujing)
    record(credentials, chen, "nursery_worker", today() - 50 * DAY, level=5)
    record(credentials, chen, "health", today() - 5 * DAY)
    failed = record(credentials, chen, "background_check", today() - 5 * DAY, result="failed", by="上海市公安局金山分局")
    assert (failed.standing, failed.result) == ("failed", "failed")
    with pytest.raises(Conflict) as refused:
        assign(credentials, chen, zhujing, "nursery_worker", today())
    assert [(s.cert_type, s.problem) for s in refused.value.extra["shortfalls"]] == [("background_check", "failed")]


def test_an_infant_caregiver_needs_level_four_or_higher_and_an_upgrade_goes_through_the_usual_path(credentials):
    adopt_v2(credentials, effective_on=today())
    zhujing = nursery(credentials, "朱泾一托")
    liu = checked_worker(credentials, zhujing, "刘洋", health_on=today() - 20 * DAY, level=5, role="infant_caregiver")
    with pytest.raises(Conflict) as refused:
        assign(credentials, liu, zhujing, "infant_caregiver", today())
    assert [(s.cert_type, s.problem) for s in refused.value.extra["shortfalls"]] == [("infant_care", "level_too_low")]
    upgraded = record(credentials, liu, "infant_care", today(), level=4, by="上海市职业技能鉴定中心")
    assert (upgraded.level, upgraded.expires_on, upgraded.standing) == (4, None, "valid")
    assign(credentials, liu, zhujing, "infant_caregiver", today())
    assert credentials.reports.roster(zhujing, on=today()).compliant_people == 1


def test_levels_expiries_and_results_are_checked_against_the_type(credentials):
    adopt_v2(credentials, effective_on=today())
    zhujing = nursery(credentials, "朱泾一托")
    he = person(credentials, "何静", zhujing)
    for kwargs, field in [
        ({"cert_type": "infant_care"}, "level"),  # levelled type without a level
        ({"cert_type": "infant_care", "level": 5, "expires_on": today() + DAY}, "expires_on"),
        ({"cert_type": "security_guard", "level": 3}, "level"),
        ({"cert_type": "teacher_kindergarten", "result": "failed"}, "result"),
        ({"cert_type": "health_worker"}, "expires_on"),  # an expiring certificate needs its expiry
    ]:
        with pytest.raises(Invalid) as refused:
            record(credentials, he, kwargs.pop("cert_type"), today() - DAY, **kwargs)
        assert refused.value.field == field
    teacher = record(credentials, he, "teacher_kindergarten", today() - 3000 * DAY, by="上海市教育委员会")
    assert teacher.expires_on is None and credentials.certificates.certificate(
        teacher.certificate_id, on=today() + 20000 * DAY).standing == "valid"


def test_hr_sees_what_falls_due_for_its_own_nursery_only(credential_http):
    c = credential_http
    app = c.app.state.service
    adopt_v2(app, effective_on=today())
    ours, theirs = nursery(app, "朱泾一托"), nursery(app, "枫泾宝贝", "枫泾镇", "private")
    checked_worker(app, ours, "王芳", health_on=today() - 350 * DAY)
    checked_worker(app, theirs, "赵敏", health_on=today() - 340 * DAY)
    hr, other, inspector = issue(app, "hr", ours), issue(app, "hr", theirs), issue(app, "inspector")
    assert [d["holder_name"] for d in c.get("/v1/checks/due?within=30", headers=hr).json()] == ["王芳"]
    assert [d["holder_name"] for d in c.get("/v1/checks/due?within=90", headers=other).json()] == ["赵敏"]
    assert [d["holder_name"] for d in c.get("/v1/checks/due?within=60", headers=inspector).json()] == ["王芳", "赵敏"]
    assert c.get("/v1/checks/due?within=0", headers=hr).status_code == 422
    assert c.get("/v1/policy", params={"on": today().isoformat()}, headers=hr).json()["version"] == 2


def test_a_populated_v1_store_migrates_by_one_event_and_its_replay_and_proofs_still_verify(
        audit_settings, monkeypatch, tmp_path, capsys):  # noqa: F811
    from litestar.testing import TestClient

    from carecred.cli import main
    from services.credential.app import create_app

    use_settings(monkeypatch, audit_settings)
    with TestClient(create_app(audit_settings)) as client:
        app = client.app.state.service
        zhujing = nursery(app, "朱泾一托")
        people = []
        for name in ["李丽", "王芳", "张伟"]:
            someone = person(app, name, zhujing)
            certificate(app, someone, "nursery_worker", today() - 300 * DAY, today() + 700 * DAY)
            certificate(app, someone, "health", today() - 300 * DAY, today() + 60 * DAY)
            assign(app, someone, zhujing, "nursery_worker", today() - 200 * DAY)
            people.append(someone)
        kept = tmp_path / "checkpoint.json"
        assert main(["audit", "checkpoint", "--service", "credential", "--output", str(kept)]) == 0
        client.headers.update(issue(app, "auditor"))
        size_before = len(client.get("/v1/audit/export").text.splitlines())

        migration = adopt_v2(app, effective_on=today() + 7 * DAY)  # the migration: one event
        record(app, people[0], "nursery_worker", today() - DAY, level=4)
        record(app, people[0], "background_check", today() - DAY, by="上海市公安局金山分局")
        lines = client.get("/v1/audit/export").text.splitlines()
        assert len(lines) == size_before + 3  # the adoption (one event) and the two v2 records
        assert migration.version == 2

        # v1 certificates keep their meaning: no level, the expiry they were recorded with
        view = app.reports.profile(people[1], on=today(), visible_to=None, with_integrity=False)
        assert {(c.cert_type, c.level, c.expires_on is not None) for c in view.certificates} == {
            ("nursery_worker", None, True), ("health", None, True)}
        assert app.reports.roster(zhujing, on=today()).compliant_people == 3
        assert app.reports.roster(zhujing, on=today() + 7 * DAY).compliant_people == 1

        report = replay(app)
        assert report.identical, [d.describe() for d in report.differences]

        import base64
        import json

        from tests.integration.test_audit_proofs import rfc_leaf
        exported = [json.loads(line) for line in lines]
        leaves = [rfc_leaf(x["position"], x["aggregate_id"], x["version"], x["topic"], base64.b64decode(x["state"]))
                  for x in exported]
        n = len(leaves)
        topics = [x["topic"] for x in exported]
        adoption = topics.index("carecred.credential:RolePolicy.Adopted.v2")
        for index in (0, adoption, n - 1):
            proof = client.get("/v1/audit/proofs/inclusion",
                               params={"position": exported[index]["position"], "tree_size": n}).json()
            assert verify_inclusion(index, n, leaves[index], unhex(proof["path"]), mth(leaves))
        proof = client.get("/v1/audit/proofs/consistency", params={"first": size_before, "second": n}).json()
        assert verify_consistency(size_before, n, mth(leaves[:size_before]), mth(leaves), unhex(proof["path"]))

    code, printed = export_and_verify({"tmp": tmp_path, "kept": kept}, capsys)
    assert code == 0, printed


def test_the_registrar_records_the_level_printed_on_a_v1_certificate_once(credential_http):
    c = credential_http
    app = c.app.state.service
    zhujing = nursery(app, "朱泾一托")
    li = person(app, "李丽", zhujing)
    v1 = certificate(app, li, "nursery_worker", today() - 100 * DAY, today() + 900 * DAY)
    health = certificate(app, li, "health", today() - 100 * DAY, today() + 200 * DAY)
    assign(app, li, zhujing, "nursery_worker", today() - 90 * DAY)
    adopt_v2(app, effective_on=today())
    record(app, li, "background_check", today() - 5 * DAY, by="上海市公安局金山分局")
    registrar, hr = issue(app, "registrar"), issue(app, "hr", zhujing)
    assert app.reports.roster(zhujing, on=today()).compliant_people == 0  # v1 record: no level yet

    assert c.post(f"/v1/certificates/{v1}/level", json={"level": 4, "note": "证书所载四级"}, headers=hr).status_code == 403
    wrong = c.post(f"/v1/certificates/{v1}/level", json={"level": 6, "note": "x"}, headers=registrar)
    assert wrong.status_code == 422 and "level" in wrong.text
    unlevelled = c.post(f"/v1/certificates/{health}/level", json={"level": 4, "note": "x"}, headers=registrar)
    assert unlevelled.status_code == 422 and unlevelled.json()["code"] == "no_such_level", unlevelled.text
    assert [e["field"] for e in unlevelled.json()["errors"]] == ["level"]
    done = c.post(f"/v1/certificates/{v1}/level", json={"level": 4, "note": "证书所载四级"}, headers=registrar)
    assert done.status_code == 200 and (done.json()["level"], done.json()["expires_on"]) == (4, (today() + 900 * DAY).isoformat())
    again = c.post(f"/v1/certificates/{v1}/level", json={"level": 3, "note": "升级"}, headers=registrar)
    assert again.status_code == 409 and again.json()["code"] == "level_already_recorded"
    assert app.reports.roster(zhujing, on=today()).compliant_people == 1
    assert replay(app).identical


def test_over_http_a_check_is_recorded_by_hr_of_its_nursery_and_bad_terms_name_their_field(credential_http):
    c = credential_http
    app = c.app.state.service
    adopt_v2(app, effective_on=today())
    ours, theirs = nursery(app, "朱泾一托"), nursery(app, "枫泾宝贝", "枫泾镇", "private")
    li, zhao = person(app, "李丽", ours), person(app, "赵敏", theirs)
    hr = issue(app, "hr", ours)
    body = {"cert_type": "background_check", "number": "JSGA-2026-0001", "issuing_body": "上海市公安局金山分局",
            "issued_on": (today() - DAY).isoformat(), "holder_id": li}
    made = c.post("/v1/certificates", json=body, headers=hr)
    assert made.status_code == 201, made.text
    assert made.json()["expires_on"] == (add_months(today() - DAY, 12) - DAY).isoformat()
    elsewhere = c.post("/v1/certificates", json={**body, "number": "JSGA-2026-0002", "holder_id": zhao}, headers=hr)
    assert elsewhere.status_code == 404  # another nursery's person does not exist for this hr key
    not_hrs = c.post("/v1/certificates", json={**body, "cert_type": "infant_care", "level": 4, "number": "YY-1"}, headers=hr)
    assert not_hrs.status_code == 403
    for bad, field in [({"level": 0}, "level"), ({"result": "unknown"}, "result"), ({"level": 3}, "level")]:
        refused = c.post("/v1/certificates", json={**body, "number": "JSGA-2026-0009", **bad}, headers=hr)
        assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == field, refused.text
    assert [d["number"] for d in c.get("/v1/checks/due?within=366", headers=hr).json()] == ["JSGA-2026-0001"]


def test_a_badge_shows_the_health_check_and_expires_before_the_day_it_falls_due(credentials):
    from shared.district import DISTRICT_TZ

    adopt_v2(credentials, effective_on=today())
    credentials.badges.keys.ensure(REGISTRAR)
    kindergarten = nursery(credentials, "石化街道蓓蕾幼儿园", "石化街道", kind="kindergarten")
    taken = today() - 340 * DAY
    teacher = person(credentials, "孙丽", kindergarten)
    record(credentials, teacher, "teacher_kindergarten", today() - 3000 * DAY, by="上海市教育委员会")  # never expires
    record(credentials, teacher, "health", taken)
    record(credentials, teacher, "background_check", today() - 30 * DAY, by="上海市公安局金山分局")
    assign(credentials, teacher, kindergarten, "teacher", today())
    badge = credentials.badge_issuance.issue_badge(teacher, nursery_id=None, id_number=None, actor=REGISTRAR)
    due = add_months(taken, 12)
    assert badge.expires_at <= dt.datetime.combine(due, dt.time(), tzinfo=DISTRICT_TZ)
    noon = lambda day: dt.datetime.combine(day, dt.time(12), tzinfo=DISTRICT_TZ)  # noqa: E731
    assert credentials.badges.verify(badge.qr_text, now=badge.issued_at + dt.timedelta(minutes=1)).verdict == "valid"
    assert credentials.badges.verify(badge.qr_text, now=noon(due)).verdict != "valid"  # scanned on the due day
