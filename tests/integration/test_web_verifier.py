"""The scanner's in-browser verifier (wire.js + badge.js, run in Node) reaches the same verdicts as the Python one."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from services.credential.badges import cose
from services.credential.badges.transport import unwrap, wrap
from services.credential.badges.verifier import Verifier
from shared.idnumber import make_valid
from tests.integration.badge_world import ACTOR, LI_NA, make_world
from tests.unit.badge_variants import variants

RUNNER = Path(__file__).with_name("badge_js_runner.js")
VECTORS = Path(__file__).parents[1] / "vectors" / "holder_binding.json"
NODE = shutil.which("node")
SOMEONE_ELSE = make_valid("11010519491231002")


@pytest.fixture
def world(settings):
    if NODE is None:
        if os.environ.get("CI"):
            pytest.fail("node is needed to run the scanner's verifier")
        pytest.skip("node is not installed")
    w = make_world(settings)
    yield w
    w.app.close()


def run_js(world, cases: list[dict], now: dt.datetime, *, anchor: str | None = None, signed_at: dt.datetime | None = None,
           **extra: object) -> dict:
    signed_at = signed_at or now
    payload = {
        "anchor": anchor or world.badges.keys.anchor().public_key_pem, "now": int(now.timestamp()), "cases": cases,
        "trust": base64.b64encode(world.badges.keys.signed_trust_list(signed_at)).decode(),
        "status": base64.b64encode(world.badges.statuses.signed_status_list(signed_at)).decode(), **extra,
    }
    done = subprocess.run([NODE, str(RUNNER)], input=json.dumps(payload), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def python_verifier(world, signed_at: dt.datetime) -> Verifier:
    return Verifier(world.badges.keys.trust_list(signed_at), world.badges.statuses.status_list(signed_at))


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
    cases = [
        ("valid", valid, LI_NA), ("revoked", revoked.qr_text, LI_NA), ("suspended", suspended.qr_text, LI_NA),
        ("expired", expired, LI_NA), ("not_yet_valid", future, LI_NA), ("unknown_key", unknown, LI_NA),
        ("invalid_signature", wrap(bytes(forged)), LI_NA), ("malformed", "TY1:NOT-BASE45-@@", None),
        ("malformed", "HC1:" + valid[4:], None), ("holder_mismatch", valid, SOMEONE_ELSE),
        ("holder_mismatch", valid, "not a number"), ("valid", valid, None),
    ]
    python = python_verifier(world, now)
    expected = [python.verify(text, now=now, id_number=number) for _, text, number in cases]
    got = run_js(world, [{"text": text, "id_number": number} for _, text, number in cases], now)["results"]
    assert [r["verdict"] for r in got] == [e.verdict.value for e in expected] == [verdict for verdict, _, _ in cases]
    assert [r["holder_check"] for r in got] == [e.holder_check.value for e in expected]
    assert got[0]["holder_check"] == "match" and got[-1]["holder_check"] == "not_checked"


def test_stale_status_data_is_status_unknown_in_the_browser_too(world):
    issued = world.issue()
    signed_at = dt.datetime.now(dt.UTC).replace(microsecond=0)
    python = python_verifier(world, signed_at)
    for hours, verdict in ((11, "valid"), (13, "status_unknown")):
        now = signed_at + dt.timedelta(hours=hours)
        got = run_js(world, [{"text": issued.qr_text, "id_number": LI_NA}], now, signed_at=signed_at)["results"][0]
        assert got["verdict"] == python.verify(issued.qr_text, now=now, id_number=LI_NA).verdict == verdict
        assert got["stale"] is (verdict == "status_unknown")
    shortened = run_js(world, [{"text": issued.qr_text, "id_number": LI_NA}], signed_at + dt.timedelta(hours=2),
                       signed_at=signed_at, max_status_age=3600)["results"][0]
    assert shortened["verdict"] == "status_unknown"


def test_every_other_encoding_of_a_badge_is_malformed_in_the_browser_too(world):
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    issued = world.issue()
    key = world.badges.keys.active()
    private_key = world.badges.key_store.load(key.kid)

    def resign(payload: bytes) -> str:
        return wrap(cose.sign1(payload, private_key, bytes.fromhex(key.kid), cose.ES256))

    found = variants(issued.qr_text, resign)
    got = run_js(world, [{"text": text, "id_number": LI_NA} for text, _ in found.values()], now)["results"]
    assert {name: r["verdict"] for name, r in zip(found, got)} == {name: "malformed" for name in found}
    for (name, (_, why)), row in zip(found.items(), got):
        if why in ("untagged", "after the zlib stream", "unprotected", "deterministic"):
            assert why in row["reason"], (name, row["reason"])


def test_the_holder_binding_matches_the_shared_vectors_in_the_browser_code(world):
    vectors = json.loads(VECTORS.read_text(encoding="utf-8"))["cases"]
    got = run_js(world, [], dt.datetime.now(dt.UTC), vectors=vectors)["vectors"]
    assert [(g["salt"], g["check"], g["canonical"]) for g in got] == [(v["salt"], v["check"], v["canonical"]) for v in vectors]


def test_the_holder_shown_matches_the_python_decoder(world):
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    issued = world.issue()
    unbound = world.issue(id_number=None)
    rows = run_js(world, [{"text": issued.qr_text, "id_number": LI_NA.lower()},
                          {"text": unbound.qr_text, "id_number": LI_NA}], now)["results"]
    python = world.badges.verify(issued.qr_text, now=now).holder
    assert rows[0]["name"] == python.name == "李娜" and rows[0]["roles"] == python.roles and rows[0]["id_check"]
    assert rows[0]["certificates"] == [
        {"type": c.type, "number": c.number, "expiresOn": c.expires_on.isoformat()} for c in python.certificates]
    assert rows[1]["verdict"] == "valid" and rows[1]["holder_check"] == "unavailable" and not rows[1]["id_check"]


def test_a_scanner_that_pinned_the_old_anchor_rolls_over_to_the_new_one(world):
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    issued = world.issue()
    old_pem = world.badges.keys.anchor().public_key_pem
    new = world.badges.keys.rotate_anchor(actor=ACTOR)
    out = run_js(world, [{"text": issued.qr_text, "id_number": LI_NA}], now, anchor=old_pem)
    assert out["rolled_over"] is True and out["results"][0]["verdict"] == "valid"
    pinned = serialization.load_pem_public_key(out["anchor"].encode())
    assert cose.key_id(pinned).hex() == new.kid
    again = run_js(world, [], now, anchor=out["anchor"])
    assert again["rolled_over"] is False
