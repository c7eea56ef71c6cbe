"""Badges over HTTP: the inspector's online check, status changes, and the public well-known lists."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization

from services.credential.badges.lists import StatusList, TrustList
from shared.idnumber import make_valid
from tests.conftest import issue
from tests.integration.badge_world import LI_NA, World, make_world


@pytest.fixture
def world(credential_http) -> World:
    return make_world(app=credential_http.app.state.service)


def test_an_inspector_scans_a_badge_and_confirms_the_id_card_without_it_being_echoed(credential_http, world):
    issued = world.issue()
    inspector = issue(world.app, "inspector")
    answer = credential_http.post("/v1/verify", json={"qr": issued.qr_text, "id_number": LI_NA}, headers=inspector)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["verdict"] == "valid" and body["holder_check"] == "match"
    assert body["holder"]["name"] == "李娜" and body["holder"]["nursery_id"] == world.nursery_id
    assert body["status"]["source"] == "online" and "issued_at" in body["status"]
    assert LI_NA not in answer.text and LI_NA[6:14] not in answer.text


def test_a_forged_text_gets_a_verdict_not_an_error(credential_http, world):
    inspector = issue(world.app, "inspector")
    answer = credential_http.post("/v1/verify", json={"qr": "TY1:garbage!"}, headers=inspector)
    assert answer.status_code == 200 and answer.json()["verdict"] == "malformed"


def test_only_checking_roles_may_verify_and_bodies_are_strict(credential_http, world):
    issued = world.issue()
    assert credential_http.post("/v1/verify", json={"qr": issued.qr_text}).status_code == 401
    provider = issue(world.app, "provider", scope="00000000-0000-0000-0000-0000000000bb")
    assert credential_http.post("/v1/verify", json={"qr": issued.qr_text}, headers=provider).status_code == 403
    for role, scope in (("registrar", None), ("hr", world.nursery_id), ("auditor", None)):
        ok = credential_http.post("/v1/verify", json={"qr": issued.qr_text}, headers=issue(world.app, role, scope=scope))
        assert ok.status_code == 200 and ok.json()["verdict"] == "valid"
    inspector = issue(world.app, "inspector")
    extra = credential_http.post("/v1/verify", json={"qr": issued.qr_text, "photo": "x"}, headers=inspector)
    assert extra.status_code in (400, 422) and extra.headers["content-type"].startswith("application/problem+json")


def test_the_registrar_revokes_a_badge_and_the_next_scan_says_so(credential_http, world):
    issued = world.issue()
    registrar, inspector = issue(world.app, "registrar"), issue(world.app, "inspector")
    revoked = credential_http.post(f"/v1/badges/{issued.badge_id}/revoke", json={"reason": "left the nursery"}, headers=registrar)
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    scan = credential_http.post("/v1/verify", json={"qr": issued.qr_text}, headers=inspector).json()
    assert scan["verdict"] == "revoked" and scan["holder"]["name"] == "李娜"
    again = credential_http.post(f"/v1/badges/{issued.badge_id}/reinstate", json={"reason": "x"}, headers=registrar)
    assert again.status_code == 409


def test_hr_suspends_its_own_staffs_badge_but_not_another_nurserys(credential_http, world):
    issued = world.issue()
    own = issue(world.app, "hr", scope=world.nursery_id)
    other = issue(world.app, "hr", scope="00000000-0000-0000-0000-000000000001")
    assert credential_http.post(f"/v1/badges/{issued.badge_id}/suspend", json={"reason": "x"}, headers=other).status_code == 403
    answer = credential_http.post(f"/v1/badges/{issued.badge_id}/suspend", json={"reason": "lost"}, headers=own)
    assert answer.status_code == 200 and answer.json()["status"] == "suspended"
    found = credential_http.get("/v1/badges", params={"certificate_number": "JK-2026-004512"}, headers=own).json()
    assert [b["badge_id"] for b in found] == [issued.badge_id]
    assert credential_http.get("/v1/badges", params={"certificate_number": "JK-2026-004512"}, headers=other).json() == []


def test_offline_verifiers_download_the_signed_lists_without_a_key(credential_http, world):
    world.issue()
    anchor = credential_http.get("/.well-known/carecred/trust-anchor")
    assert anchor.status_code == 200 and anchor.headers["x-key-id"] == world.badges.keys.anchor().kid
    trust_answer = credential_http.get("/.well-known/carecred/trust-list")
    status_answer = credential_http.get("/.well-known/carecred/status-list")
    assert trust_answer.headers["content-type"].startswith("application/cose")
    trust = TrustList.parse(trust_answer.content, serialization.load_pem_public_key(anchor.content))
    status = StatusList.parse(status_answer.content, trust)
    assert status.size == 1 and len(trust.keys) == 1


def test_a_wrong_id_number_is_its_own_verdict_not_a_valid_badge(credential_http, world):
    issued = world.issue()
    inspector = issue(world.app, "inspector")
    wrong = make_valid("11010519491231002")
    body = credential_http.post("/v1/verify", json={"qr": issued.qr_text, "id_number": wrong}, headers=inspector).json()
    assert body["verdict"] == "holder_mismatch" and body["holder_check"] == "mismatch"
    assert wrong not in str(body) and body["holder"]["name"] == "李娜"
    unchecked = credential_http.post("/v1/verify", json={"qr": issued.qr_text}, headers=inspector).json()
    assert unchecked["verdict"] == "valid" and unchecked["holder_check"] == "not_checked"
    assert "NOT checked" in unchecked["reason"]


def test_after_an_anchor_rotation_the_published_trust_list_leads_the_old_pin_to_the_new_anchor(credential_http, world):
    old_pem = credential_http.get("/.well-known/carecred/trust-anchor").content
    new = world.badges.keys.rotate_anchor(actor={"role": "test"})
    served = credential_http.get("/.well-known/carecred/trust-anchor")
    assert served.headers["x-key-id"] == new.kid
    trust = TrustList.parse(credential_http.get("/.well-known/carecred/trust-list").content,
                            serialization.load_pem_public_key(old_pem))
    assert trust.anchor.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo) == served.content
