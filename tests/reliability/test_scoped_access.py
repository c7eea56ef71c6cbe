"""The scoped cases the route × role matrix cannot see: HR of another nursery on every hr route,
a provider posting for another provider, an inspector trying every write route, and a key
revoked on one replica refused by the other at once."""

from __future__ import annotations

import datetime as dt
import uuid
from uuid import UUID

import pytest
from litestar.testing import TestClient

from contracts.inspections import FindingConfirmation, NewInspector, NewVisit
from contracts.keys import Role
from contracts.registry import NurseryStatusChange
from contracts.training import NewCourse
from services.credential.app import create_app as credential_app
from tests.conftest import bearer, issue
from tests.integration.badge_world import LI_NA, make_world
from tests.integration.certification_world import assign, certificate, nursery
from tests.integration.test_access import concrete, protected_routes, roles_of
from tests.integration.training_world import MID_2025, REGISTRAR, approve, learn_people
from shared.district import today as district_today

TODAY = district_today()
READ_ONLY_POSTS = {"/v1/verify", "/v1/staff/lookup"}
"""POST routes that only read (the ID number or QR text travels in the body, never in a URL)."""
INSPECTOR_WRITES = "/v1/inspections/visits"
"""An inspector's own writes (visits, scans, findings): refused to a key not scoped to a registered inspector
(tests/integration/test_inspections_draws.py), and to another inspector's key (test_inspections_visits.py)."""


@pytest.fixture
def nursery_a(credential_http):
    """Nursery A with 李娜: certificates, an assignment and a badge; and an hr key of nursery B."""
    app = credential_http.app.state.service
    world = make_world(app=app)
    certs = [certificate(app, world.staff_id, t, TODAY - dt.timedelta(days=30), TODAY + dt.timedelta(days=300))
             for t in ("nursery_worker", "health")]
    assignment = assign(app, world.staff_id, world.nursery_id, "nursery_worker", TODAY - dt.timedelta(days=1))
    badge = world.issue()
    other = nursery(app, "枫泾镇小太阳托育园", town="枫泾镇")
    return dict(world=world, certificates=certs, assignment=assignment, badge=badge,
                hr_b=issue(app, Role.HR, scope=other), other=other,
                secrets=["李娜", LI_NA, app.registry.staff(world.staff_id).id_masked, certs[0], badge.badge_id])


def background_check_under_policy_v2(app, staff_id: str) -> str:
    """Policy v2 in force from today, and a background check of the person that falls due in about 60 days."""
    import msgspec

    from contracts.credentials import NewCertificate
    from contracts.policy import PolicyDocument
    from services.credential.domain.policy import shanghai_v2_document

    document = msgspec.convert(msgspec.to_builtins(shanghai_v2_document()), type=PolicyDocument)
    app.policies.adopt_policy(document, "policy v2", REGISTRAR, effective_on=TODAY)
    return app.certificates.issue_certificate(NewCertificate(
        cert_type="background_check", number="JSGA-0001", issuing_body="上海市公安局金山分局",
        issued_on=TODAY - dt.timedelta(days=300), holder_id=staff_id,
    ), role="registrar", visible_to=None, actor=REGISTRAR).certificate_id
def inspect_nursery(app, nursery_id: str, staff_id: str) -> dict[str, str]:
    """An inspector's visit to the nursery and a finding about the person (through the application)."""
    inspector = app.inspectors.register(NewInspector(name="王督导", unit="金山区教育局督导室"), REGISTRAR)
    visit = app.visits.open(NewVisit(nursery_id=nursery_id, kind="routine"), inspector, REGISTRAR)
    finding = app.findings.confirm(UUID(visit.visit_id), FindingConfirmation(
        kind="lapsed_certificate", staff_id=staff_id, detail="健康证过期",
        due_on=TODAY + dt.timedelta(days=7)), inspector, REGISTRAR)
    return {"visit_id": visit.visit_id, "finding_id": finding.finding_id}


def refused_without_data(response, secrets: list[str], *statuses: int) -> None:
    assert response.status_code in statuses, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] in ("outside_scope", "not_found", "forbidden"), response.text
    leaked = [s for s in secrets if s in response.text]
    assert not leaked, f"{response.request.method} {response.request.url.path} leaked {leaked}"


def test_hr_of_another_nursery_gets_403_or_404_and_never_the_data_on_every_hr_route(credential_http, nursery_a):
    client, w, hr_b = credential_http, nursery_a["world"], nursery_a["hr_b"]
    staff, cert, assignment, badge = w.staff_id, nursery_a["certificates"][0], nursery_a["assignment"], nursery_a["badge"]
    secrets = [s for s in nursery_a["secrets"] if s not in (cert, badge.badge_id)]  # ids the caller sent may be echoed
    # A third nursery asks for 李娜: nursery B neither asked nor must answer, so it sees no such request.
    app = client.app.state.service
    hr_c = issue(app, Role.HR, scope=nursery(app, "亭林镇托育园", town="亭林镇"))
    transfer = client.post("/v1/transfers", headers=hr_c, json={"staff_id": staff, "start_on": TODAY.isoformat()})
    transfer_id = transfer.json()["transfer_id"]
    hr_a = issue(app, Role.HR, scope=w.nursery_id)  # nursery A's webhook, and a notice delivered (or tried) to it
    subscription = client.post("/v1/webhooks", headers=hr_a, json={
        "url": "https://hooks.example.invalid/carecred", "types": ["badge.suspended"]}).json()["subscription"]["subscription_id"]
    client.post(f"/v1/badges/{w.issue().badge_id}/suspend", json={"reason": "lost"}, headers=hr_a)
    inspection = inspect_nursery(app, w.nursery_id, w.staff_id)  # a visit and a finding at nursery A
    before = client.app.state.service.recorder.max_notification_id()
    documented = [  # (method, path, body, expected status) — as each handler's docstring says
        ("GET", f"/v1/staff/{staff}", None, 404),
        ("POST", "/v1/staff/lookup", {"id_number": LI_NA}, 404),
        ("POST", "/v1/staff", {"name": "李娜", "id_number": LI_NA, "nursery_id": w.nursery_id}, 403),
        ("GET", f"/v1/staff/{staff}/profile", None, 404),
        ("GET", f"/v1/certificates/{cert}", None, 404),
        ("GET", f"/v1/staff/{staff}/credentials/certificates/{cert}", None, 404),
        ("GET", f"/v1/staff/{staff}/credentials/training/{TODAY.year}", None, 404),
        ("POST", "/v1/certificates", {"cert_type": "health", "number": "JK-B-1", "issuing_body": "区卫健委",
                                      "issued_on": "2026-01-01", "expires_on": "2027-01-01", "holder_id": staff}, 404),
        ("POST", "/v1/assignments", {"staff_id": staff, "nursery_id": w.nursery_id, "role": "nursery_worker",
                                     "start_on": TODAY.isoformat()}, 403),
        # (Assigning the person to nursery B itself is hiring: 409 employed_elsewhere, below.)
        ("POST", "/v1/transfers", {"staff_id": staff, "nursery_id": w.nursery_id, "start_on": TODAY.isoformat()}, 403),
        ("GET", f"/v1/transfers/{transfer_id}", None, 404),
        ("POST", f"/v1/transfers/{transfer_id}/consent", {}, 404),
        ("POST", f"/v1/transfers/{transfer_id}/refuse", {"reason": "x"}, 404),
        ("POST", f"/v1/transfers/{transfer_id}/withdraw", {"reason": "x"}, 404),
        ("GET", f"/v1/assignments/{assignment}", None, 404),
        ("POST", f"/v1/assignments/{assignment}/end", {"end_on": TODAY.isoformat(), "reason": "离职"}, 404),
        ("GET", f"/v1/nurseries/{w.nursery_id}/roster", None, 403),
        ("GET", f"/v1/badges/{badge.badge_id}", None, 403),
        ("POST", f"/v1/badges/{badge.badge_id}/suspend", {"reason": "x"}, 403),
        ("POST", f"/v1/badges/{badge.badge_id}/reinstate", {"reason": "x"}, 403),
        ("POST", f"/v1/badges/{badge.badge_id}/revoke", {"reason": "x"}, 403),
        ("POST", "/v1/webhooks", {"url": "https://hooks.example.com/b", "nursery_id": w.nursery_id}, 403),
        ("GET", f"/v1/webhooks/{subscription}", None, 404),
        ("PUT", f"/v1/webhooks/{subscription}", {"url": "https://hooks.example.com/b", "types": ["badge.revoked"]}, 404),
        ("POST", f"/v1/webhooks/{subscription}/end", {"reason": "x"}, 404),
        ("GET", f"/v1/nurseries/{w.nursery_id}/upcoming-notices", None, 403),
        ("GET", f"/v1/inspections/visits/{inspection['visit_id']}", None, 404),
        ("GET", f"/v1/inspections/visits?nursery_id={w.nursery_id}", None, 403),
        ("GET", f"/v1/inspections/findings/{inspection['finding_id']}", None, 404),
        ("GET", f"/v1/inspections/findings?nursery_id={w.nursery_id}", None, 403),
    ]
    for method, path, body, status in documented:
        response = client.request(method, path, json=body, headers=hr_b)
        refused_without_data(response, secrets, status)
    hiring = client.post("/v1/assignments", headers=hr_b, json={"staff_id": staff, "role": "nursery_worker",
                                                                "start_on": TODAY.isoformat()})
    assert (hiring.status_code, hiring.json()["code"]) == (409, "employed_elsewhere"), hiring.text
    assert not [s for s in secrets if s in hiring.text], hiring.text  # tests/integration/test_transfers.py
    assert client.app.state.service.recorder.max_notification_id() == before, "a refused request wrote an event"
    # Lists answer, but only with nursery B's own people.
    registrar = issue(client.app.state.service, Role.REGISTRAR)
    check = background_check_under_policy_v2(app, staff)  # something for the checks due list to show
    app.nursery_lifecycle.suspend(UUID(w.nursery_id), NurseryStatusChange(effective_on=TODAY, reason="停业整顿"),
                                  REGISTRAR)  # nursery A's staff are now flagged: still assigned at a suspended nursery
    for path, shows in (("/v1/staff", "李娜"), ("/v1/certificates/expiring?within=366", cert),
                        ("/v1/checks/due?within=90", check),
                        (f"/v1/badges?staff_id={staff}", badge.badge_id), ("/v1/transfers", transfer_id),
                        ("/v1/webhooks", subscription), ("/v1/webhooks/deliveries", subscription),
                        ("/v1/inspections/visits", inspection["visit_id"]),
                        ("/v1/inspections/findings", inspection["finding_id"]),
                        ("/v1/nurseries/staff-at-closed", "李娜")):
        assert shows in client.get(path, headers=registrar).text  # the data is there to leak
        response = client.get(path, headers=hr_b)
        assert response.status_code in (200, 403, 404), (path, response.text)
        hidden = [*nursery_a["secrets"], transfer_id, subscription, *inspection.values()]
        assert not [s for s in hidden if s in response.text], (path, response.text)
    # Every hr route of the service is in one of the lists above, is district-wide by design,
    # or only tells the caller about its own key (/app/whoami).
    district_wide = {"/v1/nurseries", "/v1/nurseries/{nursery_id:uuid}", "/v1/nurseries/on",
                     "/v1/nurseries/{nursery_id:uuid}/history", "/v1/policy",
                     "/v1/policy/versions/{version:int}", "/v1/verify", "/app/whoami"}
    seen = {p for _, p, _, _ in documented} | {"/v1/staff", "/v1/certificates/expiring", "/v1/checks/due", "/v1/badges", "/v1/transfers",
                                                "/v1/nurseries/staff-at-closed",
                                                "/v1/webhooks", "/v1/webhooks/deliveries"}
    for method, path, handler in protected_routes(client.app):
        if Role.HR in roles_of(handler) and path not in district_wide:
            pattern = path.split("{")[0]
            assert any(s.startswith(pattern) for s in seen), f"hr route {method} {path} is not tried here"


def test_hr_of_another_nursery_cannot_read_a_persons_training_year(training_http):
    app = training_http.app.state.service
    mine, theirs = str(uuid.uuid4()), str(uuid.uuid4())
    (person,) = learn_people(app, 1, nursery=theirs)
    response = training_http.get(f"/v1/people/{person}/training/2025", headers=issue(app, Role.HR, scope=mine))
    refused_without_data(response, ["员工0"], 403, 404)
    assert training_http.get(f"/v1/people/{person}/training/2025",
                             headers=issue(app, Role.HR, scope=theirs)).status_code == 200


def test_a_provider_cannot_post_for_another_provider_or_its_courses(training_http):
    app = training_http.app.state.service
    sou = approve(app)
    other = approve(app, code="JSEDU", name="金山区教育学院")
    app.catalogue.catalogue_course(other, NewCourse(code="JS01", title="金山特色课程", category="skills", topic="safety",
                                                    class_hours=2, available_from=dt.date(2024, 1, 1)), REGISTRAR)
    (person,) = learn_people(app, 1)
    sou_key = issue(app, Role.PROVIDER, scope=str(sou))
    item = {"event_id": "X-1", "staff_id": person, "course_code": "SK01", "completed_at": MID_2025, "class_hours": 8}
    before = app.recorder.max_notification_id()
    for path, body in ((f"/v1/providers/{other}/completions/", item),
                       (f"/v1/providers/{other}/completions/bulk", {"items": [item]}),
                       (f"/v1/providers/{other}/completions/{uuid.uuid4()}/reversal", {"reason": "x"})):
        response = training_http.post(path, json=body, headers=sou_key)
        assert response.status_code == 403 and response.json()["code"] == "outside_scope", response.text
    assert training_http.get(f"/v1/providers/{other}/completions/", headers=sou_key).status_code == 403
    # A course only the other provider teaches is not the SOU's to post.
    response = training_http.post(f"/v1/providers/{sou}/completions/", headers=sou_key,
                                  json={**item, "course_code": "JS01", "class_hours": 2})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "course_code", response.text
    assert app.recorder.max_notification_id() == before


@pytest.fixture(params=["credential", "training"])
def any_service(request, settings):
    return request.getfixturevalue(f"{request.param}_http")


def test_an_inspector_trying_every_write_route_gets_403_and_nothing_is_written(any_service):
    client = any_service
    app = client.app.state.service
    inspector = issue(app, Role.INSPECTOR)
    before = app.recorder.max_notification_id()
    writes = [(m, p, h) for m, p, h in protected_routes(client.app)
              if m != "GET" and p not in READ_ONLY_POSTS and not p.startswith(INSPECTOR_WRITES)]
    assert writes
    for method, path, handler in writes:
        assert Role.INSPECTOR not in roles_of(handler), f"an inspector may {method} {path}"
        response = client.request(method, concrete(path), json={}, headers=inspector)
        assert response.status_code == 403, (method, path, response.status_code)
    assert app.recorder.max_notification_id() == before


def test_a_key_revoked_through_one_replica_is_refused_by_the_other_at_once(settings):
    with TestClient(credential_app(settings)) as one, TestClient(credential_app(settings)) as two:
        admin = issue(one.app.state.service, Role.ADMIN)
        created = one.post("/v1/keys", json={"role": "registrar", "name": "区教育局"}, headers=admin).json()
        token = created["token"]
        assert two.get("/v1/staff", headers=bearer(token)).status_code == 200
        assert one.post(f"/v1/keys/{created['key_id']}/revoke", json={"reason": "left"}, headers=admin).status_code == 200
        refused = two.get("/v1/staff", headers=bearer(token))
        assert refused.status_code == 401 and refused.json()["code"] == "unauthenticated"
