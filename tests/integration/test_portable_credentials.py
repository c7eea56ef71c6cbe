"""A worker takes a certificate or a year's training elsewhere, as a W3C Verifiable Credential.

Every credential here is checked by an independent verifier (jwcrypto, ``vc_verifier``) that
finds the issuer's key through its did:web document, and every status through the published
Bitstring Status List credential, decoded by the spec's rules.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from urllib.parse import urlsplit

import msgspec
import pytest
from litestar.testing import TestClient

from contracts.events.training import CompletionRecorded, YearTotals
from services.credential.app import create_app
from services.credential.read_models.training_status import apply as apply_training
from shared.audit.replay import replay
from tests.conftest import issue
from tests.integration import vc_verifier
from tests.integration.certification_world import REGISTRAR, certificate, nursery, person
from tests.integration.test_badge_cli import env, run  # noqa: F401 - the CLI reads this test's storage
from shared.district import today as district_today

PUBLIC_URL = "https://credentials.jinshan.example"
DID = "did:web:credentials.jinshan.example"


@pytest.fixture
def client(settings):
    with TestClient(create_app(msgspec.structs.replace(settings, public_url=PUBLIC_URL))) as client:
        yield client


@pytest.fixture
def world(client):
    """Two nurseries; 王芳 at the first with an infant-care certificate, 李娜 at the second with one too."""
    app = client.app.state.service
    first, second = nursery(app, "朱泾一托"), nursery(app, "枫泾二托", town="枫泾镇")
    wang, li = person(app, "王芳", first), person(app, "李娜", second)
    return {
        "app": app, "first": first, "wang": wang, "li": li,
        "certificate": certificate(app, wang, "infant_care", dt.date(2024, 3, 1), dt.date(2027, 2, 28)),
        "li_certificate": certificate(app, li, "infant_care", dt.date(2024, 3, 1), dt.date(2027, 2, 28)),
        "registrar": issue(app, "registrar"), "hr": issue(app, "hr", first), "other_hr": issue(app, "hr", second),
    }


def fetcher(client):
    def fetch(path: str):
        answer = client.get(path)
        assert answer.status_code == 200, answer.text
        return answer.json() if answer.headers["content-type"].startswith("application/did+json") else answer.text
    return fetch


def export_certificate(client, world, headers=None) -> str:
    answer = client.get(f"/v1/staff/{world['wang']}/credentials/certificates/{world['certificate']}",
                        headers=headers or world["registrar"])
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/vc+jwt")
    return answer.text


def entries(credential) -> dict[str, dict]:
    return {e["statusPurpose"]: e for e in credential["credentialStatus"]}


def test_an_exported_certificate_verifies_elsewhere_and_says_what_it_is(client, world):
    token = export_certificate(client, world, world["hr"])
    header, credential = vc_verifier.verify(token, fetcher(client))

    assert header["kid"].startswith(DID + "#") and header["cty"] == "vc"
    assert vc_verifier.did_web_host(DID) == urlsplit(PUBLIC_URL).netloc  # the issuer id resolves to the service
    assert credential["@context"][0] == "https://www.w3.org/ns/credentials/v2"
    assert credential["type"] == ["VerifiableCredential", "AchievementCredential"]
    assert credential["issuer"]["id"] == DID and credential["issuer"]["type"] == ["Profile"]
    subject = credential["credentialSubject"]
    assert subject["id"] == f"urn:uuid:{world['wang']}" and subject["identifier"][0]["identityHash"] == "王芳"
    assert subject["achievement"]["achievementType"] == "License"
    assert subject["achievement"]["name"] == "育婴员证 (Infant care certificate)"
    assert credential["validFrom"] == "2024-03-01T00:00:00+08:00"
    assert credential["validUntil"] == "2027-03-01T00:00:00+08:00"  # valid through 28 February, in Shanghai
    statuses = entries(credential)
    assert set(statuses) == {"revocation", "suspension"}
    assert statuses["revocation"]["statusListCredential"] == f"{PUBLIC_URL}/v1/credentials/status/revocation"
    for entry in statuses.values():
        assert vc_verifier.status_bit(entry, fetcher(client)) == 0


def test_suspending_then_revoking_the_certificate_shows_in_the_status_lists(client, world):
    _, credential = vc_verifier.verify(export_certificate(client, world), fetcher(client))
    statuses, fetch = entries(credential), fetcher(client)
    changes = f"/v1/certificates/{world['certificate']}"

    assert client.post(f"{changes}/suspend", json={"reason": "调查中"}, headers=world["registrar"]).status_code == 200
    assert vc_verifier.status_bit(statuses["suspension"], fetch) == 1
    assert vc_verifier.status_bit(statuses["revocation"], fetch) == 0

    assert client.post(f"{changes}/reinstate", json={"note": "调查结束"}, headers=world["registrar"]).status_code == 200
    assert vc_verifier.status_bit(statuses["suspension"], fetch) == 0

    revoked = client.post(f"{changes}/revoke", json={"reason": "违反职业道德", "category": "ethics_violation"},
                          headers=world["registrar"])
    assert revoked.status_code == 200
    assert vc_verifier.status_bit(statuses["revocation"], fetch) == 1
    assert vc_verifier.status_bit(statuses["suspension"], fetch) == 0


def test_other_certificates_keep_their_own_bits(client, world):
    fetch = fetcher(client)
    _, wang = vc_verifier.verify(export_certificate(client, world), fetch)
    answer = client.get(f"/v1/staff/{world['li']}/credentials/certificates/{world['li_certificate']}",
                        headers=world["registrar"])
    _, li = vc_verifier.verify(answer.text, fetch)
    assert entries(wang)["revocation"]["statusListIndex"] != entries(li)["revocation"]["statusListIndex"]
    client.post(f"/v1/certificates/{world['li_certificate']}/revoke",
                json={"reason": "证书造假", "category": "fraud"}, headers=world["registrar"])
    assert vc_verifier.status_bit(entries(li)["revocation"], fetch) == 1
    assert vc_verifier.status_bit(entries(wang)["revocation"], fetch) == 0


def _tampered(token: str, change) -> str:
    head, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    change(claims)
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{head}.{forged}.{signature}"


def test_a_tampered_credential_fails_verification(client, world):
    token, fetch = export_certificate(client, world), fetcher(client)
    for change in (lambda c: c.update(validUntil="2099-01-01T00:00:00+08:00"),
                   lambda c: c["credentialSubject"]["identifier"][0].update(identityHash="冒名者"),
                   lambda c: c["credentialStatus"][0].update(statusListIndex="99")):
        with pytest.raises(vc_verifier.NotVerified, match="bad signature"):
            vc_verifier.verify(_tampered(token, change), fetch)
    head, payload, signature = token.split(".")
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    with pytest.raises(vc_verifier.NotVerified):
        vc_verifier.verify(f"{head}.{payload}.{flipped}", fetch)


def test_a_year_of_training_exports_with_its_hours(client, world):
    year = district_today().year
    event = CompletionRecorded(
        completion_id="c1", staff_id=world["wang"], provider_id="p", course_code="SK-1", category="skills",
        hours=8.0, completed_on=dt.date(year, 3, 1), counted=True,
        totals=YearTotals(year=year, skills_hours=80.0, ethics_hours=24.5, skills_required=72.0, ethics_required=40.0),
    )
    with world["app"].store.transaction(commit=True) as cur:
        apply_training(cur, event, 1)  # as the follower of the training feed applies it

    answer = client.get(f"/v1/staff/{world['wang']}/credentials/training/{year}", headers=world["hr"])
    assert answer.status_code == 200, answer.text
    _, credential = vc_verifier.verify(answer.text, fetcher(client))
    subject = credential["credentialSubject"]
    assert subject["achievement"]["achievementType"] == "Course" and str(year) in subject["achievement"]["name"]
    described = {d["id"]: d["name"] for d in subject["achievement"]["resultDescription"]}
    results = {described[r["resultDescription"]]: r["value"] for r in subject["result"]}
    assert results["Comprehensive skills training hours (综合技能培训学时)"] == "80"
    assert results["Professional ethics education hours (职业道德教育学时)"] == "24.5"
    assert results["Whether the year's requirement is met"] == "InProgress"  # 24.5 of 40 ethics hours
    assert "credentialStatus" not in credential


def test_only_the_persons_nursery_and_the_registrar_may_export(client, world):
    path = f"/v1/staff/{world['wang']}/credentials/certificates/{world['certificate']}"
    assert client.get(path, headers=world["other_hr"]).status_code == 404
    assert client.get(f"/v1/staff/{world['wang']}/credentials/training/2025", headers=world["other_hr"]).status_code == 404
    assert client.get(path, headers=issue(world["app"], "inspector")).status_code == 403
    assert client.get(path).status_code == 401
    not_hers = client.get(f"/v1/staff/{world['wang']}/credentials/certificates/{world['li_certificate']}",
                          headers=world["registrar"])
    assert not_hers.status_code == 404 and not_hers.headers["content-type"].startswith("application/problem+json")
    far = client.get(f"/v1/staff/{world['wang']}/credentials/training/99999", headers=world["registrar"])
    assert far.status_code == 422 and far.json()["errors"][0]["field"] == "year"


def test_the_status_lists_are_public_and_wait_for_the_first_credential(client, world):
    before = client.get("/v1/credentials/status/revocation")
    assert before.status_code == 404 and before.json()["code"] == "no_issuer_key"
    assert client.get("/.well-known/did.json").json()["verificationMethod"] == []
    export_certificate(client, world)
    assert client.get("/v1/credentials/status/revocation").status_code == 200
    assert client.get("/v1/credentials/status/suspension").status_code == 200
    assert client.get("/v1/credentials/status/other").status_code == 404


def test_a_new_issuer_key_signs_new_credentials_and_old_ones_still_verify(client, world):
    fetch = fetcher(client)
    old = export_certificate(client, world)
    world["app"].portable.keys.generate(REGISTRAR)
    new = export_certificate(client, world)
    old_header, _ = vc_verifier.verify(old, fetch)
    new_header, _ = vc_verifier.verify(new, fetch)
    assert old_header["kid"] != new_header["kid"]
    assert len(client.get("/.well-known/did.json").json()["verificationMethod"]) == 2


def test_replay_rebuilds_the_same_status_indexes(client, world):
    _, credential = vc_verifier.verify(export_certificate(client, world), fetcher(client))
    client.post(f"/v1/certificates/{world['certificate']}/suspend", json={"reason": "调查中"}, headers=world["registrar"])
    report = replay(world["app"])
    assert {"portable_status", "portable_issuer_keys"} <= set(report.tables)
    assert report.identical, [d.describe() for d in report.differences]
    assert entries(credential)["suspension"]["statusListIndex"] == "0"  # the first certificate in the log


def test_an_operator_rotates_and_lists_the_issuer_keys(env, capsys):
    code, out = run(capsys, "issuer-keys", "rotate")
    assert code == 0 and "signs from now on" in out
    code, out = run(capsys, "issuer-keys", "rotate")
    code, out = run(capsys, "issuer-keys", "list")
    lines = out.strip().splitlines()
    assert code == 0 and lines[0].startswith("issuer did:web:") and len(lines) == 3
    assert [line.split()[0] for line in lines[1:]] == ["1", "2"]
    with TestClient(create_app(env)) as client:
        methods = client.get("/.well-known/did.json").json()["verificationMethod"]
        assert [m["id"].split("#")[1] for m in methods] == [line.split("#")[1].split()[0] for line in lines[1:]]


def test_a_suspension_that_has_run_out_no_longer_shows(client, world):
    _, credential = vc_verifier.verify(export_certificate(client, world), fetcher(client))
    ended = client.post(f"/v1/certificates/{world['certificate']}/suspend", headers=world["registrar"],
                        json={"reason": "停职一个月", "effective_on": "2025-01-01", "until": "2025-01-31"})
    assert ended.status_code == 200, ended.text
    assert vc_verifier.status_bit(entries(credential)["suspension"], fetcher(client)) == 0
    later = (district_today() + dt.timedelta(days=30)).isoformat()
    again = client.post(f"/v1/certificates/{world['certificate']}/suspend", headers=world["registrar"],
                        json={"reason": "再次停职", "until": later})
    assert again.status_code == 200, again.text
    assert vc_verifier.status_bit(entries(credential)["suspension"], fetcher(client)) == 1


def test_two_replicas_making_the_first_key_at_once_end_with_one(client, world, settings):
    from services.credential.application import Credentials

    other = Credentials(msgspec.structs.replace(settings, public_url=PUBLIC_URL))
    try:
        late = other.portable.keys
        export_certificate(client, world)  # this replica made generation 1 first
        late.generate(REGISTRAR, generation=1)  # the other one had not seen it yet
        assert len(late.published()) == 1
        assert sorted(p.name for p in late.key_store.directory.iterdir()) == [f"{late.published()[0]['kid']}.pem"]
    finally:
        other.close()


def test_a_training_year_is_not_exported_before_any_training_data_has_arrived(client, world):
    answer = client.get(f"/v1/staff/{world['wang']}/credentials/training/{district_today().year}", headers=world["hr"])
    assert answer.status_code == 404 and answer.json()["code"] == "no_training_data"
