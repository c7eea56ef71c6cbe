"""The certificate, policy, assignment and report routes over HTTP: status codes, problem codes, fields."""

import datetime as dt
from uuid import UUID

import msgspec
import pytest

from services.credential.domain.policy import default_document
from services.credential.application.common import today
from tests.conftest import issue
from tests.integration.certification_world import certificate, nursery, person

PROBLEM = "application/problem+json"
DAY = dt.timedelta(days=1)


@pytest.fixture
def world(credential_http):
    """A registrar, an inspector, an auditor, and HR of two nurseries, each with one registered person."""
    app = credential_http.app.state.service
    ours, theirs = nursery(app, "朱泾一托"), nursery(app, "枫泾宝贝", "枫泾镇", "private")
    return {
        "client": credential_http, "app": app, "ours": ours, "theirs": theirs,
        "li": person(app, "李丽", ours), "zhao": person(app, "赵敏", theirs),
        "registrar": issue(app, "registrar"), "inspector": issue(app, "inspector"), "auditor": issue(app, "auditor"),
        "hr": issue(app, "hr", ours), "other_hr": issue(app, "hr", theirs),
    }


def cert_body(holder, cert_type="nursery_worker", number="BY-2026-0001", issued=None, expires=None):
    now = today()
    return {
        "cert_type": cert_type, "number": number, "issuing_body": "上海市人力资源和社会保障局",
        "issued_on": (issued or now - 30 * DAY).isoformat(), "expires_on": (expires or now + 700 * DAY).isoformat(),
        "holder_id": holder,
    }


def problem_of(response, status, code):
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["code"] == code, body
    return body


def test_a_registrar_issues_a_certificate_and_a_duplicate_number_is_409_with_the_existing_id(world):
    c = world["client"]
    response = c.post("/v1/certificates", json=cert_body(world["li"]), headers=world["registrar"])
    assert response.status_code == 201
    view = response.json()
    assert set(view) == {"certificate_id", "cert_type", "number", "issuing_body", "holder_id", "issued_on",
                         "expires_on", "status", "standing", "on", "level", "result"}
    assert (view["status"], view["standing"], view["on"]) == ("active", "valid", today().isoformat())
    again = c.post("/v1/certificates", json=cert_body(world["zhao"]), headers=world["registrar"])
    assert problem_of(again, 409, "duplicate_certificate")["certificate_id"] == view["certificate_id"]


def test_the_certificate_lifecycle_over_http_and_its_refusals(world):
    c, registrar = world["client"], world["registrar"]
    cid = c.post("/v1/certificates", json=cert_body(world["li"]), headers=registrar).json()["certificate_id"]
    base = f"/v1/certificates/{cid}"
    bad_renewal = c.post(f"{base}/renew", json={"expires_on": "2020-01-01", "note": "x"}, headers=registrar)
    assert problem_of(bad_renewal, 422, "expiry_not_later")["errors"][0]["field"] == "expires_on"
    problem_of(c.post(f"{base}/reinstate", json={"note": "x"}, headers=registrar), 409, "not_suspended")
    suspended = c.post(f"{base}/suspend", json={"reason": "complaint"}, headers=registrar)
    assert suspended.status_code == 200 and suspended.json()["standing"] == "suspended"
    assert c.post(f"{base}/reinstate", json={"note": "cleared"}, headers=registrar).json()["standing"] == "valid"
    revoked = c.post(f"{base}/revoke", json={"reason": "forged", "category": "fraud"}, headers=registrar)
    assert revoked.json()["status"] == "revoked"
    for action, body in [("reinstate", {"note": "x"}), ("renew", {"expires_on": "2040-01-01", "note": "x"}),
                         ("suspend", {"reason": "x"})]:
        problem_of(c.post(f"{base}/{action}", json=body, headers=registrar), 409, "certificate_revoked")
    problem_of(c.post(f"{base}/revoke", json={"reason": "x", "category": "error"}, headers=registrar), 409, "already_revoked")
    bad_category = c.post(f"{base}/revoke", json={"reason": "x", "category": "whim"}, headers=registrar)
    assert problem_of(bad_category, 422, "validation_failed")["errors"][0]["field"] == "category"
    events = list(world["app"].repository.event_store.get(UUID(cid)))
    assert [type(e).__name__ for e in events] == ["Issued", "Suspended", "Reinstated", "Revoked"]
    assert {e.actor["role"] for e in events} == {"registrar"}


def test_hr_records_health_certificates_for_its_own_staff_only(world):
    c = world["client"]
    health = cert_body(world["li"], "health", "JK-001", expires=today() + 300 * DAY)
    assert c.post("/v1/certificates", json=health, headers=world["hr"]).status_code == 201
    professional = c.post("/v1/certificates", json=cert_body(world["li"]), headers=world["hr"])
    problem_of(professional, 403, "not_recordable_by_role")
    elsewhere = c.post("/v1/certificates", json=cert_body(world["zhao"], "health", "JK-002"), headers=world["hr"])
    problem_of(elsewhere, 404, "not_found")
    problem_of(c.post("/v1/certificates", json=cert_body(world["li"], number="X"), headers=world["inspector"]), 403, "forbidden")
    cid = c.get("/v1/certificates/expiring?within=365", headers=world["hr"]).json()[0]["certificate_id"]
    problem_of(c.post(f"/v1/certificates/{cid}/suspend", json={"reason": "x"}, headers=world["hr"]), 403, "forbidden")
    assert c.get("/v1/certificates/expiring?within=365", headers=world["other_hr"]).json() == []


def test_an_unknown_certificate_type_or_holder_names_the_field(world):
    c, registrar = world["client"], world["registrar"]
    body = problem_of(c.post("/v1/certificates", json=cert_body(world["li"], "driving"), headers=registrar), 422, "unknown_certificate_type")
    assert body["errors"][0]["field"] == "cert_type"
    body = problem_of(c.post("/v1/certificates", json=cert_body("0" * 8 + "-0000-0000-0000-" + "0" * 12), headers=registrar), 422, "unknown_staff")
    assert body["errors"][0]["field"] == "holder_id"


def test_hr_assigning_an_uncertified_worker_gets_409_listing_what_is_missing_then_succeeds(world):
    c, hr = world["client"], world["hr"]
    start = today().isoformat()
    refused = c.post("/v1/assignments", json={"staff_id": world["li"], "role": "nursery_worker", "start_on": start}, headers=hr)
    body = problem_of(refused, 409, "not_certified")
    assert [(s["cert_type"], s["problem"]) for s in body["shortfalls"]] == [("nursery_worker", "missing"), ("health", "missing")]
    assert body["requirements"][0]["rule"] == "all_of" and body["policy_version"] == 1
    assert c.get(f"/v1/nurseries/{world['ours']}/roster", headers=hr).json()["people"] == 0

    app = world["app"]
    certificate(app, world["li"], "nursery_worker", today() - 10 * DAY, today() + 700 * DAY)
    certificate(app, world["li"], "health", today() - 10 * DAY, today() + 300 * DAY)
    made = c.post("/v1/assignments", json={"staff_id": world["li"], "role": "nursery_worker", "start_on": start}, headers=hr)
    assert made.status_code == 201
    view = made.json()
    assert view["compliance"]["compliant"] and view["compliance"]["policy_version"] == 1 and view["active"]
    again = c.post("/v1/assignments", json={"staff_id": world["li"], "role": "nursery_worker", "start_on": start}, headers=hr)
    problem_of(again, 409, "already_assigned")
    ended = c.post(f"/v1/assignments/{view['assignment_id']}/end", json={"end_on": start, "reason": "离职"}, headers=hr)
    assert ended.status_code == 200 and ended.json()["end_on"] == start
    problem_of(c.post(f"/v1/assignments/{view['assignment_id']}/end", json={"end_on": start, "reason": "x"}, headers=hr), 409, "already_ended")


def test_an_assignment_makes_the_person_visible_to_that_nurserys_hr(world):
    c, app = world["client"], world["app"]
    zhao = world["zhao"]
    problem_of(c.get(f"/v1/staff/{zhao}/profile", headers=world["hr"]), 404, "not_found")
    certificate(app, zhao, "security_guard", today() - 10 * DAY, today() + 700 * DAY)
    certificate(app, zhao, "health", today() - 10 * DAY, today() + 300 * DAY)
    made = c.post("/v1/assignments", json={"staff_id": zhao, "role": "security_guard", "start_on": today().isoformat()}, headers=world["hr"])
    assert made.status_code == 201
    assert c.get(f"/v1/staff/{zhao}", headers=world["hr"]).status_code == 200
    assert c.get(f"/v1/staff/{zhao}/profile", headers=world["hr"]).json()["assignments"][0]["role"] == "security_guard"


def test_hr_of_another_nursery_and_an_inspector_are_kept_to_their_place(world):
    c, ours = world["client"], world["ours"]
    problem_of(c.get(f"/v1/nurseries/{ours}/roster", headers=world["other_hr"]), 403, "outside_scope")
    problem_of(c.get(f"/v1/staff/{world['li']}/profile", headers=world["other_hr"]), 404, "not_found")
    body = {"staff_id": world["li"], "nursery_id": ours, "role": "nursery_worker", "start_on": today().isoformat()}
    problem_of(c.post("/v1/assignments", json=body, headers=world["other_hr"]), 403, "outside_scope")
    problem_of(c.post("/v1/assignments", json=body, headers=world["inspector"]), 403, "forbidden")
    problem_of(c.get("/v1/district/figures", headers=world["hr"]), 403, "forbidden")
    violation = {"staff_id": world["li"], "what": "x", "occurred_on": "2026-01-01", "action": "warning"}
    problem_of(c.post("/v1/violations", json=violation, headers=world["hr"]), 403, "forbidden")
    problem_of(c.post("/v1/policy", json={"content": {}, "note": "x"}, headers=world["inspector"]), 403, "forbidden")
    assert c.get(f"/v1/nurseries/{ours}/roster", headers=world["inspector"]).status_code == 200
    problem_of(c.get("/v1/district/figures"), 401, "unauthenticated")

    app = world["app"]
    cert = certificate(app, world["li"], "nursery_worker", today() - 10 * DAY, today() + 700 * DAY)
    certificate(app, world["li"], "health", today() - 10 * DAY, today() + 300 * DAY)
    made = c.post("/v1/assignments", json=body, headers=world["hr"]).json()
    for path in (f"/v1/assignments/{made['assignment_id']}", f"/v1/certificates/{cert}"):
        assert c.get(path, headers=world["hr"]).status_code == 200
        problem_of(c.get(path, headers=world["other_hr"]), 404, "not_found")
    ending = {"end_on": today().isoformat(), "reason": "x"}
    problem_of(c.post(f"/v1/assignments/{made['assignment_id']}/end", json=ending, headers=world["other_hr"]), 404, "not_found")
    problem_of(c.post(f"/v1/assignments/{made['assignment_id']}/end", json=ending, headers=world["inspector"]), 403, "forbidden")
    problem_of(c.get("/v1/policy/versions/9", headers=world["inspector"]), 404, "not_found")


def test_the_integrity_record_is_shown_to_registrar_hr_and_auditor_but_not_inspector(world):
    c = world["client"]
    cid = c.post("/v1/certificates", json=cert_body(world["li"]), headers=world["registrar"]).json()["certificate_id"]
    body = {"staff_id": world["li"], "what": "辱骂幼儿", "occurred_on": (today() - DAY).isoformat(),
            "action": "suspension", "certificate_ids": [cid], "until": (today() + 90 * DAY).isoformat()}
    recorded = c.post("/v1/violations", json=body, headers=world["registrar"])
    assert recorded.status_code == 201 and recorded.json()["certificate_ids"] == [cid]
    assert c.get(f"/v1/certificates/{cid}", headers=world["registrar"]).json()["standing"] == "suspended"
    for key in ("registrar", "hr", "auditor"):
        profile = c.get(f"/v1/staff/{world['li']}/profile", headers=world[key]).json()
        assert [v["what"] for v in profile["integrity_record"]] == ["辱骂幼儿"], key
    assert c.get(f"/v1/staff/{world['li']}/profile", headers=world["inspector"]).json()["integrity_record"] is None
    wrong = {**body, "staff_id": world["zhao"]}
    assert problem_of(c.post("/v1/violations", json=wrong, headers=world["registrar"]), 422, "not_holders_certificate")["errors"][0]["field"] == "certificate_ids[0]"


def test_the_registrar_adopts_a_policy_version_and_decisions_name_it(world):
    c, registrar = world["client"], world["registrar"]
    current = c.get("/v1/policy", headers=world["hr"]).json()
    assert current["version"] == 1 and len(current["content_hash"]) == 64
    content = msgspec.to_builtins(default_document())
    content["roles"][1]["requires"] = [{"all_of": ["health"]}, {"any_of": ["nursery_worker", "infant_care"]}]
    broken = {"content": {**content, "roles": [{**content["roles"][0], "requires": [{"all_of": ["unicorn"]}]}]}, "note": "x"}
    refused = c.post("/v1/policy", json=broken, headers=registrar)
    assert problem_of(refused, 422, "unknown_certificate_type")["errors"][0]["field"] == "content.roles[0].requires[0].all_of[0]"
    adopted = c.post("/v1/policy", json={"content": content, "note": "保育员可持育婴员证"}, headers=registrar)
    assert adopted.status_code == 201 and adopted.json()["version"] == 2
    assert adopted.json()["content_hash"] != current["content_hash"]
    assert c.get("/v1/policy/versions/1", headers=world["auditor"]).json()["content_hash"] == current["content_hash"]
    app = world["app"]
    certificate(app, world["li"], "infant_care", today() - 10 * DAY, today() + 700 * DAY)
    certificate(app, world["li"], "health", today() - 10 * DAY, today() + 300 * DAY)
    made = c.post("/v1/assignments", json={"staff_id": world["li"], "role": "nursery_worker",
                                           "start_on": today().isoformat()}, headers=world["hr"])
    assert made.status_code == 201 and made.json()["policy_version"] == 2
    assert made.json()["compliance"]["policy_version"] == 2


def test_reports_take_an_as_on_date_and_refuse_a_bad_one(world):
    c, app = world["client"], world["app"]
    certificate(app, world["li"], "nursery_worker", today() - 400 * DAY, today() + 700 * DAY)
    certificate(app, world["li"], "health", today() - 300 * DAY, today() - DAY)
    c.post("/v1/assignments", json={"staff_id": world["li"], "role": "nursery_worker",
                                     "start_on": (today() - 200 * DAY).isoformat()}, headers=world["hr"])
    roster = c.get(f"/v1/nurseries/{world['ours']}/roster", headers=world["hr"]).json()
    assert (roster["people"], roster["compliant_people"], roster["certified_rate"]) == (1, 0, 0.0)
    assert roster["entries"][0]["assignments"][0]["compliance"]["requirements"][0]["shortfalls"][0]["problem"] == "expired"
    yesterday = (today() - DAY).isoformat()
    assert c.get(f"/v1/nurseries/{world['ours']}/roster?on={yesterday}", headers=world["hr"]).json()["certified_rate"] == 1.0
    figures = c.get(f"/v1/district/figures?on={yesterday}", headers=world["auditor"]).json()
    assert figures["certified_rate"] == 1.0 and figures["expiring_within_30"] == 1
    assert set(figures["public_kindergarten_teachers"]) == {"teachers", "with_infant_care", "share", "target", "meets_target"}
    response = c.get(f"/v1/nurseries/{world['ours']}/roster?on=yesterday", headers=world["hr"])
    assert response.status_code in (400, 422) and response.headers["content-type"].startswith(PROBLEM)
