"""Secrets never leak: a representative day (keys issued, people registered with ID numbers,
badge keys generated, badges issued and checked, mistakes made) with every log at DEBUG, then
every log line, every problem+json body and every stored event — raw and decoded — is searched
for the API tokens, the raw ID numbers, the badge private keys, the cipher key and the
id-hash and checkpoint keys."""

from __future__ import annotations

import base64
import logging
import os

from litestar.testing import TestClient

from contracts.keys import Role
from services.credential.app import create_app
from services.credential.badges.keystore import key_dir_of
from shared.http.observability import JsonFormatter
from shared.idnumber import make_valid
from shared.settings import Settings
from tests.integration.badge_world import LI_NA, make_world

ZHANG = make_valid("31011619850611002")


def settings_from_env(settings: Settings) -> tuple[Settings, dict[str, str]]:
    """The test storage, with the secrets given the way an operator gives them: environment variables."""
    env = {"CARECRED_CIPHER_KEY": base64.b64encode(os.urandom(32)).decode(),
           "CARECRED_ID_HASH_KEY": os.urandom(32).hex(), "CARECRED_CHECKPOINT_KEY": os.urandom(32).hex()}
    keep = {f: getattr(settings, f) for f in settings.__struct_fields__
            if f not in ("cipher_key", "id_hash_key", "checkpoint_key")}
    return Settings.from_env(env, **keep), env


class Capture(logging.Handler):
    """Every record, at every level, formatted as the services log it (JSON, with extras)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


WATCHED = ("", "carecred", "litestar", "eventsourcing", "psycopg", "httpx")


def test_no_secret_appears_in_logs_errors_or_events(settings):
    capture = Capture()
    configured, env = settings_from_env(settings)
    assert configured.cipher_key == env["CARECRED_CIPHER_KEY"]
    problems: list[str] = []
    secrets: dict[str, str] = {f"env {k}": v for k, v in env.items()}
    secrets.update({"ID number 李娜": LI_NA, "ID number 张伟": ZHANG, "ID number lower-case x": LI_NA.lower()})

    def keep(response):
        if response.headers.get("content-type", "").startswith("application/problem+json"):
            problems.append(response.text)
        return response

    with TestClient(create_app(configured)) as client:
        levels = {name: logging.getLogger(name).level for name in WATCHED}
        for name in WATCHED:  # after start-up: the app's logging config has been applied by now
            logging.getLogger(name).addHandler(capture)
            logging.getLogger(name).setLevel(logging.DEBUG)
        app = client.app.state.service
        _, admin = app.issue_key(role=Role.ADMIN, scope=None, name="ops", actor={"role": "test"})
        secrets["admin token"] = admin
        auth = lambda token: {"Authorization": f"Bearer {token}"}  # noqa: E731
        world = make_world(app=app)  # a nursery, 李娜 registered with her ID number, badge keys generated
        for role, scope in ((Role.REGISTRAR, None), (Role.HR, world.nursery_id), (Role.INSPECTOR, None)):
            created = client.post("/v1/keys", json={"role": role, "scope": scope, "name": f"{role} key"},
                                  headers=auth(admin)).json()
            secrets[f"{role} token"] = created["token"]
        hr, inspector = auth(secrets["hr token"]), auth(secrets["inspector token"])
        keep(client.post("/v1/staff", json={"name": "张伟", "id_number": ZHANG}, headers=hr))
        keep(client.post("/v1/staff", json={"name": "张伟", "id_number": ZHANG}, headers=hr))  # 409: already registered
        keep(client.post("/v1/staff", json={"name": "错号", "id_number": ZHANG[:-1] + "0"}, headers=hr))  # bad check digit
        keep(client.post("/v1/staff", json={"name": "错号", "id_number": ZHANG, "extra": ZHANG}, headers=hr))
        keep(client.post("/v1/staff/lookup", json={"id_number": ZHANG}, headers=hr))
        keep(client.post("/v1/staff/lookup", json={"id_number": make_valid("31011619700101001")}, headers=hr))  # 404
        badge = world.issue(id_number=LI_NA)
        keep(client.post("/v1/verify", json={"qr_text": badge.qr_text, "id_number": LI_NA}, headers=inspector))
        keep(client.post("/v1/verify", json={"qr_text": badge.qr_text, "id_number": ZHANG}, headers=inspector))
        keep(client.post("/v1/verify", json={"qr_text": badge.qr_text[:40], "id_number": LI_NA}, headers=inspector))
        world.badges.keys.rotate(actor={"role": "test"})
        keep(client.get("/v1/staff", headers=auth(secrets["admin token"] + "x")))  # a near-miss token
        keep(client.get("/v1/staff", headers={"Authorization": secrets["hr token"]}))  # no scheme
        keep(client.get("/v1/staff", headers=auth(secrets["inspector token"]), params={"limit": "many"}))
        key_id = client.get("/v1/keys", headers=auth(admin)).json()[-1]["key_id"]
        keep(client.post(f"/v1/keys/{key_id}/revoke", json={"reason": "left"}, headers=auth(admin)))
        keep(client.get("/v1/staff", headers=inspector))  # the revoked key
        pems = [p.read_text() for p in key_dir_of(configured).glob("*") if p.is_file()]
        assert pems and all("PRIVATE KEY" in p for p in pems)
        for n, pem in enumerate(pems):
            secrets[f"private key {n}"] = pem
            body = [line for line in pem.splitlines() if line and not line.startswith("-----")]
            secrets.update({f"private key {n} line {i}": line for i, line in enumerate(body) if len(line) >= 24})
        stored: list[bytes] = []
        decoded: list[str] = []
        position = None
        while page := app.recorder.select_notifications(start=position, limit=500, inclusive_of_start=False):
            for notification in page:
                stored.append(notification.state)
                event = app.mapper.to_domain_event(notification)
                decoded.append(repr(vars(event)))
            position = page[-1].id
        for name, level in levels.items():
            logging.getLogger(name).removeHandler(capture)
            logging.getLogger(name).setLevel(level)
    assert len(problems) >= 8 and stored and decoded

    logs = capture.lines
    assert any('"logger":"carecred.access"' in line for line in logs), "no access log was captured"
    assert any("张伟" in text for text in decoded), "the decoded events are not readable: the scan would see nothing"
    assert not any("张伟".encode() in raw for raw in stored), "events are not encrypted at rest"
    places = {"log": logs, "problem+json body": problems, "decoded event": decoded}
    found = [(name, where) for name, secret in secrets.items() for where, texts in places.items()
             if any(secret in text for text in texts)]
    found += [(name, "stored event bytes") for name, secret in secrets.items()
              if any(secret.encode() in raw for raw in stored)]
    assert not found, found
