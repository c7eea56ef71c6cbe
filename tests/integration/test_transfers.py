"""Hiring is a consented transfer: HR of one nursery cannot take over another nursery's worker.

Nursery B employs 李娜 (certified, with an integrity record and a badge). HR of nursery A knows
her ID number. Until B (its hr key) or the registrar agrees, A learns that she works elsewhere and
nothing else — on every read path an hr key has — and cannot assign her.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from contracts.credentials import NewViolation
from contracts.keys import Role
from shared.audit.replay import replay
from tests.conftest import issue
from tests.integration.badge_world import LI_NA, make_world
from tests.integration.certification_world import REGISTRAR, assign, certificate, nursery
from shared.district import today as district_today

TODAY = district_today()
YESTERDAY = TODAY - dt.timedelta(days=1)


@dataclass
class Hiring:
    client: object
    staff_id: str
    nursery_a: str
    nursery_b: str
    assignment_b: str
    hr_a: dict[str, str]
    hr_b: dict[str, str]
    registrar: dict[str, str]
    secrets: list[str]
    """What A must not learn: her name, masked ID number, B's id, certificate numbers, the violation, the badge."""

    def events(self) -> int:
        return self.client.app.state.service.recorder.max_notification_id()

    def hire(self, headers: dict[str, str] | None = None, start_on: dt.date = TODAY, **body: object):
        return self.client.post("/v1/assignments", headers=headers or self.hr_a, json={
            "staff_id": self.staff_id, "role": "nursery_worker", "start_on": start_on.isoformat(), **body})

    def ask(self, headers: dict[str, str] | None = None, start_on: dt.date = TODAY, **body: object):
        return self.client.post("/v1/transfers", headers=headers or self.hr_a,
                                json={"staff_id": self.staff_id, "start_on": start_on.isoformat(), **body})


@pytest.fixture
def hiring(credential_http) -> Hiring:
    app = credential_http.app.state.service
    world = make_world(app=app)  # 李娜, registered by nursery B
    certs = [certificate(app, world.staff_id, t, TODAY - dt.timedelta(days=30), TODAY + dt.timedelta(days=300))
             for t in ("nursery_worker", "health")]
    assignment_b = assign(app, world.staff_id, world.nursery_id, "nursery_worker", TODAY - dt.timedelta(days=10))
    app.integrity.record_violation(NewViolation(staff_id=world.staff_id, what="体罚幼儿警告", occurred_on=YESTERDAY,
                                                action="warning"), REGISTRAR)
    badge = world.issue()
    nursery_a = nursery(app, "枫泾镇小太阳托育园", town="枫泾镇")
    numbers = [r["number"] for r in app.store.query("SELECT number FROM certificates WHERE holder_id = ?",
                                                       (world.staff_id,))]
    secrets = ["李娜", LI_NA, app.registry.staff(world.staff_id).id_masked, world.nursery_id, assignment_b, "体罚",
               badge.badge_id, *certs, *numbers]
    return Hiring(
        client=credential_http, staff_id=world.staff_id, nursery_a=nursery_a, nursery_b=world.nursery_id,
        assignment_b=assignment_b, hr_a=issue(app, Role.HR, scope=nursery_a), hr_b=issue(app, Role.HR, scope=world.nursery_id),
        registrar=issue(app, Role.REGISTRAR), secrets=secrets,
    )


def leaked(h: Hiring, response) -> list[str]:
    """The secrets in the answer, beyond what the caller itself sent (a 404 may name the id asked for)."""
    sent = str(response.request.url) + response.request.content.decode()
    return [s for s in h.secrets if s in response.text and s not in sent]


def assert_a_sees_nothing_of_her(h: Hiring) -> None:
    """Every read path an hr key has, tried by HR of A: refused or empty, and never a word about her."""
    client, sid = h.client, h.staff_id
    refused = [
        ("GET", f"/v1/staff/{sid}", None),
        ("POST", "/v1/staff/lookup", {"id_number": LI_NA}),
        ("GET", f"/v1/staff/{sid}/profile", None),
        ("GET", f"/v1/staff/{sid}/profile?as_of={dt.datetime.now(dt.UTC).isoformat().replace('+00:00', 'Z')}", None),
        ("GET", f"/v1/assignments/{h.assignment_b}", None),
        ("GET", f"/v1/nurseries/{h.nursery_b}/roster", None),
        ("POST", "/v1/badges", {"staff_id": sid}),
        ("POST", "/v1/certificates", {"cert_type": "health", "number": "JK-A-1", "issuing_body": "区卫健委",
                                      "issued_on": "2026-01-01", "expires_on": "2027-01-01", "holder_id": sid}),
    ]
    for method, path, body in refused:
        response = client.request(method, path, json=body, headers=h.hr_a)
        assert response.status_code in (403, 404), (path, response.status_code, response.text)
        assert not leaked(h, response), (path, leaked(h, response))
    shown = [
        "/v1/staff", f"/v1/nurseries/{h.nursery_a}/roster", f"/v1/badges?staff_id={sid}",
        "/v1/certificates/expiring?within=366", "/v1/transfers",
    ]
    for path in shown:
        response = client.get(path, headers=h.hr_a)
        assert response.status_code == 200, (path, response.text)
        assert not leaked(h, response), (path, leaked(h, response))


def test_hr_of_another_nursery_learns_only_the_conflict_until_the_current_nursery_consents(hiring):
    h, client = hiring, hiring.client
    before = h.events()
    # Registering her ID number tells A her staff id: enough to ask, nothing about her.
    again = client.post("/v1/staff", headers=h.hr_a, json={"name": "李娜", "id_number": LI_NA})
    assert again.status_code == 409 and again.json()["code"] == "already_registered"
    assert again.json()["staff_id"] == h.staff_id and not leaked(h, again)
    assert set(again.json()) == {"status", "type", "title", "detail", "code", "staff_id"}
    # Assigning her is refused before her certificates are looked at: no shortfalls, no employer.
    refused = h.hire()
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "employed_elsewhere" and refused.json()["transfer_id"] is None
    assert "requirements" not in refused.json() and not leaked(h, refused)
    assert h.events() == before, "a refused request wrote an event"
    assert_a_sees_nothing_of_her(h)

    asked = h.ask(note="她应聘我园保育员")
    assert asked.status_code == 201, asked.text
    request = asked.json()
    assert request["status"] == "pending" and request["current_nurseries"] is None and not leaked(h, asked)
    assert h.hire().json()["transfer_id"] == request["transfer_id"]
    again = h.ask()
    assert (again.status_code, again.json()["code"], again.json()["transfer_id"]) == (409, "transfer_pending",
                                                                                       request["transfer_id"])
    own = client.post(f"/v1/transfers/{request['transfer_id']}/consent", headers=h.hr_a, json={})
    assert (own.status_code, own.json()["code"]) == (403, "not_current_nursery")
    assert_a_sees_nothing_of_her(h)

    # B sees the request it must answer, and agrees: she may work at both.
    (pending,) = client.get("/v1/transfers?status=pending", headers=h.hr_b).json()
    assert pending["transfer_id"] == request["transfer_id"] and pending["note"] == "她应聘我园保育员"
    assert pending["current_nurseries"] == [{"nursery_id": h.nursery_b, "consented": False}]
    consented = client.post(f"/v1/transfers/{request['transfer_id']}/consent", headers=h.hr_b, json={"note": "同意兼职"})
    assert consented.status_code == 200, consented.text
    assert (consented.json()["status"], consented.json()["decided_by"]) == ("approved", "current_nursery")
    assert client.get(f"/v1/transfers/{request['transfer_id']}", headers=h.hr_a).json()["status"] == "approved"

    profile = client.get(f"/v1/staff/{h.staff_id}/profile", headers=h.hr_a)
    assert profile.status_code == 200 and profile.json()["integrity_record"][0]["what"] == "体罚幼儿警告"
    hired = h.hire()
    assert hired.status_code == 201, hired.text
    working = [a for a in client.get(f"/v1/staff/{h.staff_id}/profile", headers=h.hr_b).json()["assignments"]
               if a["active"]]
    assert {a["nursery_id"] for a in working} == {h.nursery_a, h.nursery_b}  # one person, two nurseries


def test_a_refused_request_keeps_her_hidden_and_closed_requests_take_no_answer(hiring):
    h, client = hiring, hiring.client
    transfer_id = h.ask().json()["transfer_id"]
    refused = client.post(f"/v1/transfers/{transfer_id}/refuse", headers=h.hr_b, json={"reason": "合同期内"})
    assert refused.status_code == 200, refused.text
    seen_by_a = client.get(f"/v1/transfers/{transfer_id}", headers=h.hr_a).json()
    assert (seen_by_a["status"], seen_by_a["decided_by"], seen_by_a["reason"]) == ("refused", "current_nursery", "合同期内")
    assert seen_by_a["current_nurseries"] is None
    assert h.hire().json()["code"] == "employed_elsewhere"
    assert_a_sees_nothing_of_her(h)
    before = h.events()
    for answer, body in (("consent", {}), ("refuse", {"reason": "x"})):
        late = client.post(f"/v1/transfers/{transfer_id}/{answer}", headers=h.hr_b, json=body)
        assert (late.status_code, late.json()["code"], late.json()["transfer_status"]) == (409, "transfer_closed", "refused")
    assert h.events() == before
    assert h.ask().status_code == 201  # A may ask again later


def test_the_asking_nursery_withdraws_and_only_it_can(hiring):
    h, client = hiring, hiring.client
    transfer_id = h.ask().json()["transfer_id"]
    by_b = client.post(f"/v1/transfers/{transfer_id}/withdraw", headers=h.hr_b, json={"reason": "x"})
    assert (by_b.status_code, by_b.json()["code"]) == (403, "not_requesting_nursery")
    withdrawn = client.post(f"/v1/transfers/{transfer_id}/withdraw", headers=h.hr_a, json={"reason": "岗位已满"})
    assert (withdrawn.json()["status"], withdrawn.json()["decided_by"]) == ("withdrawn", "requesting_nursery")
    assert h.hire().json()["code"] == "employed_elsewhere"


def test_the_registrar_consents_for_the_district_and_assigns_without_asking(hiring):
    h, client = hiring, hiring.client
    transfer_id = h.ask().json()["transfer_id"]
    approved = client.post(f"/v1/transfers/{transfer_id}/consent", headers=h.registrar, json={"note": "区教育局调配"})
    assert (approved.json()["status"], approved.json()["decided_by"]) == ("approved", "registrar")
    assert approved.json()["current_nurseries"] == [{"nursery_id": h.nursery_b, "consented": False}]
    assert h.hire().status_code == 201
    third = nursery(client.app.state.service, "亭林镇托育园", town="亭林镇")
    by_registrar = h.hire(headers=h.registrar, nursery_id=third)
    assert by_registrar.status_code == 201, by_registrar.text


def test_once_her_assignment_has_ended_she_is_hired_without_consent(hiring):
    h, client = hiring, hiring.client
    ended = client.post(f"/v1/assignments/{h.assignment_b}/end", headers=h.hr_b,
                        json={"end_on": YESTERDAY.isoformat(), "reason": "离职"})
    assert ended.status_code == 200, ended.text
    overlapping = h.hire(start_on=YESTERDAY)
    assert overlapping.json()["code"] == "employed_elsewhere"  # she still worked at B that day
    not_needed = h.ask()
    assert (not_needed.status_code, not_needed.json()["code"]) == (409, "consent_not_needed")
    assert h.hire().status_code == 201


def test_a_person_at_two_nurseries_is_hired_by_a_third_only_when_both_agree(hiring):
    h, client = hiring, hiring.client
    app = client.app.state.service
    nursery_c = nursery(app, "亭林镇托育园", town="亭林镇")
    assign(app, h.staff_id, nursery_c, "nursery_worker", TODAY - dt.timedelta(days=3))
    hr_c = issue(app, Role.HR, scope=nursery_c)
    request = h.ask().json()
    by_b = client.post(f"/v1/transfers/{request['transfer_id']}/consent", headers=h.hr_b, json={}).json()
    assert by_b["status"] == "pending"
    assert by_b["current_nurseries"] == sorted([{"nursery_id": h.nursery_b, "consented": True},
                                                {"nursery_id": nursery_c, "consented": False}],
                                               key=lambda n: n["nursery_id"])
    assert h.hire().json()["code"] == "employed_elsewhere"
    assert_a_sees_nothing_of_her(h)
    twice = client.post(f"/v1/transfers/{request['transfer_id']}/consent", headers=h.hr_b, json={})
    assert (twice.status_code, twice.json()["code"]) == (409, "already_consented")
    assert client.post(f"/v1/transfers/{request['transfer_id']}/consent", headers=hr_c, json={}).json()["status"] == "approved"
    assert h.hire().status_code == 201


def test_a_nursery_that_neither_asked_nor_must_answer_sees_no_request(hiring):
    h, client = hiring, hiring.client
    app = client.app.state.service
    transfer_id = h.ask().json()["transfer_id"]
    outsider = issue(app, Role.HR, scope=nursery(app, "山阳镇托育园", town="山阳镇"))
    before = h.events()
    for method, path, body in (("GET", f"/v1/transfers/{transfer_id}", None),
                               ("POST", f"/v1/transfers/{transfer_id}/consent", {}),
                               ("POST", f"/v1/transfers/{transfer_id}/refuse", {"reason": "x"}),
                               ("POST", f"/v1/transfers/{transfer_id}/withdraw", {"reason": "x"})):
        response = client.request(method, path, json=body, headers=outsider)
        assert (response.status_code, response.json()["code"]) == (404, "not_found"), (path, response.text)
    assert client.get("/v1/transfers", headers=outsider).json() == []
    for_a = client.post("/v1/transfers", headers=outsider, json={"staff_id": h.staff_id, "nursery_id": h.nursery_a,
                                                                  "start_on": TODAY.isoformat()})
    assert (for_a.status_code, for_a.json()["code"]) == (403, "outside_scope")
    assert h.events() == before
    unknown = client.post("/v1/transfers", headers=h.hr_a, json={"staff_id": h.nursery_a, "start_on": TODAY.isoformat()})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "staff_id"


def test_the_transfer_is_in_the_audit_history_and_replays_to_the_same_read_models(hiring):
    h, client = hiring, hiring.client
    app = client.app.state.service
    transfer_id = h.ask(note="应聘").json()["transfer_id"]
    client.post(f"/v1/transfers/{transfer_id}/consent", headers=h.hr_b, json={"note": "同意"})
    auditor = issue(app, Role.AUDITOR)
    events = client.get(f"/v1/audit/aggregates/{transfer_id}/history", headers=auditor).json()["events"]
    assert [e["topic"].rsplit(":", 1)[1] for e in events] == [
        "Transfer.Requested.v1", "Transfer.Consented.v1", "Transfer.Approved.v1"]
    assert events[0]["actor"]["scope"] == h.nursery_a and events[1]["actor"]["scope"] == h.nursery_b
    assert events[0]["body"]["current_nursery_ids"] == [h.nursery_b]
    report = replay(app)
    assert {"transfers", "transfer_parties", "staff_nursery"} <= set(report.tables)
    assert report.identical, [d.describe() for d in report.differences]
