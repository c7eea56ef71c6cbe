"""Badges for compliant people only, and certificate changes reach every badge at once."""

from __future__ import annotations

import datetime as dt

import pytest

from contracts.registry import NewNursery
from services.credential.application.common import today
from shared.idnumber import make_valid
from tests.conftest import issue

ID_NUMBER = make_valid("31011619880512002")
SYSTEM = {"role": "test"}


@pytest.fixture
def world(credential_http):
    app = credential_http.app.state.service
    app.badges.keys.ensure(SYSTEM)
    nursery = app.registry.register_nursery(
        NewNursery(name="朱泾一托", town="朱泾镇", ownership="public", inclusive=True), SYSTEM).nursery_id
    staff_id = app.registry.register_staff(name="王丽华", id_number=ID_NUMBER, registered_by=nursery, actor=SYSTEM).staff_id
    return credential_http, app, nursery, staff_id, issue(app, "registrar"), issue(app, "hr", nursery), issue(app, "inspector")


def certify(client, registrar, staff_id, *, expires_in: int = 300) -> dict[str, str]:
    ids = {}
    for cert_type in ("nursery_worker", "health"):
        days = expires_in if cert_type == "health" else 900
        body = {"cert_type": cert_type, "number": f"{cert_type.upper()}-001", "issuing_body": "金山区",
                "issued_on": (today() - dt.timedelta(days=30)).isoformat(),
                "expires_on": (today() + dt.timedelta(days=days)).isoformat(), "holder_id": staff_id}
        response = client.post("/v1/certificates", json=body, headers=registrar)
        assert response.status_code == 201, response.text
        ids[cert_type] = response.json()["certificate_id"]
    return ids


def assign(client, hr, staff_id):
    response = client.post("/v1/assignments", json={"staff_id": staff_id, "role": "nursery_worker",
                                                    "start_on": today().isoformat()}, headers=hr)
    assert response.status_code == 201, response.text


def verify(client, inspector, qr_text, **extra):
    response = client.post("/v1/verify", json={"qr": qr_text, **extra}, headers=inspector)
    assert response.status_code == 200, response.text
    return response.json()


def test_hr_issues_a_badge_to_a_compliant_worker_and_an_inspector_sees_whose_it_is(world):
    client, app, nursery, staff_id, registrar, hr, inspector = world
    certify(client, registrar, staff_id)
    assign(client, hr, staff_id)
    response = client.post("/v1/badges", json={"staff_id": staff_id, "id_number": ID_NUMBER}, headers=hr)
    assert response.status_code == 201, response.text
    badge = response.json()
    assert badge["qr_text"].startswith("TY1:") and badge["qr_version"] <= 15 and badge["svg"].startswith("<")
    result = verify(client, inspector, badge["qr_text"], id_number=ID_NUMBER)
    assert result["verdict"] == "valid" and result["holder_check"] == "match"
    holder = result["holder"]
    assert holder["name"] == "王丽华" and holder["roles"] == ["nursery_worker"] and holder["nursery_id"] == nursery
    assert sorted(c["type"] for c in holder["certificates"]) == ["health", "nursery_worker"]
    assert ID_NUMBER not in str(result)


def test_a_badge_is_refused_to_an_uncertified_worker_with_the_reason(world):
    client, app, nursery, staff_id, registrar, hr, inspector = world
    response = client.post("/v1/badges", json={"staff_id": staff_id, "nursery_id": nursery}, headers=registrar)
    assert response.status_code == 409 and response.json()["code"] == "not_assigned"
    certify(client, registrar, staff_id)
    assign(client, hr, staff_id)
    certificate_id = client.get(f"/v1/staff/{staff_id}/profile", headers=registrar).json()["certificates"][0]["certificate_id"]
    client.post(f"/v1/certificates/{certificate_id}/suspend", json={"reason": "under investigation"}, headers=registrar)
    refused = client.post("/v1/badges", json={"staff_id": staff_id}, headers=hr)
    assert refused.status_code == 409
    body = refused.json()
    assert body["code"] == "not_compliant" and "suspended:" in str(body["roles"])
    assert client.get(f"/v1/badges?staff_id={staff_id}", headers=registrar).json() == []


def test_the_badge_never_outlives_its_earliest_certificate(world):
    client, app, nursery, staff_id, registrar, hr, inspector = world
    certify(client, registrar, staff_id, expires_in=5)
    assign(client, hr, staff_id)
    badge = client.post("/v1/badges", json={"staff_id": staff_id}, headers=hr).json()
    expires = dt.datetime.fromisoformat(badge["expires_at"])
    assert expires - dt.datetime.now(dt.UTC) < dt.timedelta(days=7)


def test_suspending_revoking_and_reinstating_a_certificate_reaches_the_badge_at_once(world):
    client, app, nursery, staff_id, registrar, hr, inspector = world
    ids = certify(client, registrar, staff_id)
    assign(client, hr, staff_id)
    qr = client.post("/v1/badges", json={"staff_id": staff_id}, headers=hr).json()["qr_text"]
    health = ids["health"]
    client.post(f"/v1/certificates/{health}/suspend", json={"reason": "check-up overdue"}, headers=registrar)
    assert verify(client, inspector, qr)["verdict"] == "suspended"
    client.post(f"/v1/certificates/{health}/reinstate", json={"note": "check-up done"}, headers=registrar)
    assert verify(client, inspector, qr)["verdict"] == "valid"
    client.post(f"/v1/certificates/{health}/revoke", json={"reason": "forged", "category": "fraud"}, headers=registrar)
    assert verify(client, inspector, qr)["verdict"] == "revoked"


def test_an_ethics_violation_revokes_the_badge_in_the_same_transaction(world):
    client, app, nursery, staff_id, registrar, hr, inspector = world
    ids = certify(client, registrar, staff_id)
    assign(client, hr, staff_id)
    qr = client.post("/v1/badges", json={"staff_id": staff_id}, headers=hr).json()["qr_text"]
    response = client.post("/v1/violations", headers=registrar, json={
        "staff_id": staff_id, "what": "体罚幼儿", "occurred_on": today().isoformat(), "action": "revocation",
        "certificate_ids": [ids["nursery_worker"]]})
    assert response.status_code == 201, response.text
    assert verify(client, inspector, qr)["verdict"] == "revoked"


def test_hr_of_another_nursery_cannot_issue(world):
    client, app, nursery, staff_id, registrar, hr, inspector = world
    other = app.registry.register_nursery(NewNursery(name="枫泾", town="枫泾镇", ownership="private", inclusive=False), SYSTEM)
    response = client.post("/v1/badges", json={"staff_id": staff_id, "nursery_id": nursery},
                           headers=issue(app, "hr", other.nursery_id))
    assert response.status_code == 403
