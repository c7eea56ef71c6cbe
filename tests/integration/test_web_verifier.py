"""The scanner's in-browser verifier (badge.js, run in Node) reaches the same verdict as the Python one."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from services.credential.badges import cose
from services.credential.badges.transport import unwrap, wrap
from services.credential.badges.verifier import Verifier
from shared.idnumber import make_valid
from tests.integration.badge_world import ACTOR, LI_NA, make_world

RUNNER = Path(__file__).with_name("badge_js_runner.js")
NODE = shutil.which("node")


@pytest.fixture
def world(settings):
    if NODE is None:
        if os.environ.get("CI"):
            pytest.fail("node is needed to run the scanner's verifier")
        pytest.skip("node is not installed")
    w = make_world(settings)
    yield w
    w.app.close()


def run_js(world, cases: list[dict], now: dt.datetime) -> list[dict]:
    anchor = world.badges.keys.anchor().public_key_pem
    payload = {
        "anchor": anchor, "now": int(now.timestamp()), "cases": cases,
        "trust": base64.b64encode(world.badges.keys.signed_trust_list(now)).decode(),
        "status": base64.b64encode(world.badges.statuses.signed_status_list(now)).decode(),
    }
    done = subprocess.run([NODE, str(RUNNER)], input=json.dumps(payload), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_every_verdict_of_the_python_verifier_is_reached_in_the_browser_code_too(world):
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    valid = world.issue().qr_text
    revoked = world.issue()
    world.badges.statuses.change_badge_status(revoked.badge_id, "revoked", reason="fraud", actor=ACTOR)
    suspended = world.issue()
    world.badges.statuses.change_badge_status(suspended.badge_id, "suspended", reason="inquiry", actor=ACTOR)
    expired = world.issue(now=now - dt.timedelta(days=40)).qr_text
    future = world.issue(now=now + dt.timedelta(days=1)).qr_text
    cose_bytes = unwrap(valid)
    sign1 = cose.parse_sign1(cose_bytes)
    stranger = cose.generate_private_key(cose.ES256)
    unknown = wrap(cose.sign1(sign1.payload, stranger, cose.key_id(stranger.public_key()), cose.ES256))
    forged = bytearray(cose_bytes)
    forged[-1] ^= 1  # the last byte of the signature
    texts = {
        "valid": valid, "revoked": revoked.qr_text, "suspended": suspended.qr_text, "expired": expired,
        "not_yet_valid": future, "unknown_key": unknown, "invalid_signature": wrap(bytes(forged)),
        "malformed": "TY1:NOT-BASE45-@@", "no prefix": "HC1:" + valid[4:],
    }
    trust, status = world.badges.keys.trust_list(now), world.badges.statuses.status_list(now)
    python = Verifier(trust, status)
    expected = [python.verify(t, now=now).verdict.value for t in texts.values()]
    got = [r["verdict"] for r in run_js(world, [{"text": t} for t in texts.values()], now)]
    assert got == expected
    assert expected == ["valid", "revoked", "suspended", "expired", "not_yet_valid", "unknown_key",
                        "invalid_signature", "malformed", "malformed"]


def test_the_holder_and_the_id_number_check_match_the_python_decoder(world):
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    issued = world.issue()
    someone_else = make_valid("11010519491231002")
    rows = run_js(world, [{"text": issued.qr_text, "id_number": LI_NA},
                          {"text": issued.qr_text, "id_number": someone_else},
                          {"text": issued.qr_text, "id_number": LI_NA.lower()[:-1] + "0"}], now)
    python = world.badges.verify(issued.qr_text, now=now).holder
    assert rows[0]["name"] == python.name == "李娜" and rows[0]["id_masked"] == python.id_masked
    assert rows[0]["roles"] == python.roles
    assert rows[0]["certificates"] == [
        {"type": c.type, "number": c.number, "expiresOn": c.expires_on.isoformat()} for c in python.certificates]
    assert [r["id_match"] for r in rows] == [True, False, False]
