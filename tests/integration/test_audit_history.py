"""An auditor reads every event of a person or a key, exports the log, and asks what was true on a date."""

import base64
import datetime as dt
import hashlib
import json
import time

import pytest

from contracts.keys import Role
from tests.audit_support import audit_settings  # noqa: F401
from shared.idnumber import make_valid
from tests.conftest import issue

NURSERY = {"name": "朱泾一托", "town": "朱泾镇", "ownership": "public", "inclusive": True}


@pytest.fixture
def http(audit_settings):  # noqa: F811
    from litestar.testing import TestClient

    from services.credential.app import create_app

    with TestClient(create_app(audit_settings)) as client:
        app = client.app.state.service
        client.keys = {role: issue(app, role) for role in (Role.ADMIN, Role.REGISTRAR, Role.AUDITOR, Role.INSPECTOR)}
        yield client


def now() -> str:
    time.sleep(0.002)  # recorded times are in microseconds: keep "before" and "after" apart
    instant = dt.datetime.now(dt.UTC).isoformat()
    time.sleep(0.002)
    return instant


def test_what_the_api_said_on_a_date_is_what_the_auditor_sees_as_of_that_date(http):
    admin, registrar, auditor = (http.keys[r] for r in (Role.ADMIN, Role.REGISTRAR, Role.AUDITOR))
    before_anything = now()
    nursery = http.post("/v1/nurseries", json=NURSERY, headers=registrar).json()
    wang = http.post("/v1/staff", json={"name": "王芳", "id_number": "11010519491231002X",
                                        "nursery_id": nursery["nursery_id"]}, headers=registrar).json()
    key = http.post("/v1/keys", json={"role": "inspector", "name": "巡查员 张"}, headers=admin).json()

    # On day one, the auditor's colleague writes down what the API says.
    listed_then = next(k for k in http.get("/v1/keys", headers=admin).json() if k["key_id"] == key["key_id"])
    staff_then = http.get(f"/v1/staff/{wang['staff_id']}", headers=registrar).json()
    day_one = now()

    # Later, the key is revoked and another person registered.
    revoked = http.post(f"/v1/keys/{key['key_id']}/revoke", json={"reason": "left the inspectorate"}, headers=admin)
    assert revoked.status_code == 200
    li = http.post("/v1/staff", json={"name": "李丽", "id_number": make_valid("31011619880512002")}, headers=registrar).json()
    later = now()

    key_then = http.get(f"/v1/audit/aggregates/{key['key_id']}", params={"as_of": day_one}, headers=auditor).json()
    assert listed_then["revoked_at"] is None and key_then["state"]["revoked"] is False
    assert key_then["version"] == 1 and key_then["state"]["name"] == listed_then["name"]
    assert key_then["state"]["role"] == listed_then["role"] == "inspector"
    key_now = http.get(f"/v1/audit/aggregates/{key['key_id']}", params={"as_of": later}, headers=auditor).json()
    assert key_now["state"]["revoked"] is True and key_now["version"] == 2

    wang_then = http.get(f"/v1/audit/aggregates/{wang['staff_id']}", params={"as_of": day_one}, headers=auditor).json()
    assert wang_then["state"]["name"] == staff_then["name"] == "王芳"
    assert wang_then["state"]["id_masked"] == staff_then["id_masked"]
    # Li did not exist on day one, and nobody existed before anything happened.
    for aggregate, instant in ((li["staff_id"], day_one), (wang["staff_id"], before_anything)):
        missing = http.get(f"/v1/audit/aggregates/{aggregate}", params={"as_of": instant}, headers=auditor)
        assert missing.status_code == 404
    # The same instant written in Shanghai time gives the same answer.
    shanghai = dt.datetime.fromisoformat(day_one).astimezone(dt.timezone(dt.timedelta(hours=8))).isoformat()
    assert http.get(f"/v1/audit/aggregates/{key['key_id']}", params={"as_of": shanghai},
                    headers=auditor).json()["state"] == key_then["state"]


def test_an_as_of_date_without_a_time_zone_is_refused(http):
    response = http.get("/v1/audit/aggregates/00000000-0000-0000-0000-000000000001",
                        params={"as_of": "2026-03-01T08:00:00"}, headers=http.keys[Role.AUDITOR])
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "as_of"


def test_a_keys_history_shows_who_did_what_when_and_why(http):
    admin, auditor = http.keys[Role.ADMIN], http.keys[Role.AUDITOR]
    key = http.post("/v1/keys", json={"role": "inspector", "name": "巡查员 张"}, headers=admin).json()
    http.post(f"/v1/keys/{key['key_id']}/revoke", json={"reason": "lost phone"}, headers=admin)
    history = http.get(f"/v1/audit/aggregates/{key['key_id']}/history", headers=auditor).json()
    issued, revoked = history["events"]
    admin_key_id = next(k["key_id"] for k in http.get("/v1/keys", headers=admin).json() if k["role"] == "admin")
    assert [issued["version"], revoked["version"]] == [1, 2]
    assert issued["topic"] == "carecred.shared:ApiKey.Issued.v1" and revoked["topic"] == "carecred.shared:ApiKey.Revoked.v1"
    assert issued["actor"]["key_id"] == revoked["actor"]["key_id"] == admin_key_id
    assert issued["reason"] is None and revoked["reason"] == "lost phone"
    assert issued["recorded_at"] < revoked["recorded_at"] and issued["position"] < revoked["position"]
    unknown = http.get("/v1/audit/aggregates/00000000-0000-0000-0000-000000000001/history", headers=auditor)
    assert unknown.status_code == 404


def test_the_export_is_the_whole_log_in_order_with_the_stored_bytes(http):
    registrar, auditor = http.keys[Role.REGISTRAR], http.keys[Role.AUDITOR]
    http.post("/v1/staff", json={"name": "王芳", "id_number": "11010519491231002X"}, headers=registrar)
    response = http.get("/v1/audit/export", headers=auditor)
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in response.text.splitlines()]
    app = http.app.state.service
    stored = app.recorder.select_notifications(start=1, limit=1000)
    assert [x["position"] for x in lines] == [n.id for n in stored]
    assert [x["leaf_index"] for x in lines] == list(range(len(stored)))
    for line, n in zip(lines, stored):
        assert base64.b64decode(line["state"]) == n.state and line["topic"] == n.topic
        assert line["event"]["timestamp"] == line["recorded_at"]
    (wang,) = [x for x in lines if x["topic"] == "carecred.credential:Staff.Registered.v1"]
    assert wang["event"]["name"] == "王芳" and wang["event"]["actor"]["role"] == "registrar"
    # Read page by page: small pages give the same bytes.
    assert b"".join(app.audit.export_lines(page=2)) == response.content
    assert hashlib.sha256(response.content).digest() == hashlib.sha256(b"".join(app.audit.export_lines(page=3))).digest()


@pytest.mark.parametrize("role", [Role.ADMIN, Role.REGISTRAR, Role.INSPECTOR, Role.HR, Role.PROVIDER, Role.SERVICE])
def test_only_auditors_read_the_audit_api(http, role):
    app = http.app.state.service
    scope = {Role.HR: "00000000-0000-0000-0000-0000000000aa", Role.PROVIDER: "00000000-0000-0000-0000-0000000000bb"}.get(role)
    headers = issue(app, role, scope)
    key_id = "00000000-0000-0000-0000-000000000001"
    paths = [f"/v1/audit/aggregates/{key_id}/history", f"/v1/audit/aggregates/{key_id}?as_of=2026-01-01T00:00:00Z",
             "/v1/audit/export", "/v1/audit/checkpoint", "/v1/audit/checkpoints",
             "/v1/audit/proofs/inclusion?position=1&tree_size=1", "/v1/audit/proofs/consistency?first=1&second=1"]
    for path in paths:
        assert http.get(path, headers=headers).status_code == 403, path
        assert http.get(path).status_code == 401, path
    assert http.get("/v1/audit/checkpoints", headers=http.keys[Role.AUDITOR]).status_code == 200


def test_the_training_service_has_the_same_audit_api(audit_settings):  # noqa: F811
    from litestar.testing import TestClient

    from services.training.app import create_app

    with TestClient(create_app(audit_settings)) as client:
        app = client.app.state.service
        auditor = issue(app, Role.AUDITOR)
        lines = client.get("/v1/audit/export", headers=auditor).text.splitlines()
        assert len(lines) == 1 and json.loads(lines[0])["topic"] == "carecred.shared:ApiKey.Issued.v1"
        checkpoint = client.get("/v1/audit/checkpoint", headers=auditor).json()
        assert checkpoint["service"] == "training" and checkpoint["tree_size"] == 1
        assert client.get("/v1/audit/public-key").json()["key_id"] == checkpoint["key_id"]
