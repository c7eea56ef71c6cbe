"""The command line: an operator manages signing keys; an inspector verifies offline."""

from __future__ import annotations

import base64
import datetime as dt
import os
import socket
import threading
import time

import pytest

from carecred.cli import main
from carecred.cli_verify import ANCHOR, REFRESH_AFTER, STATUS_LIST, TRUST_LIST
from shared.idnumber import make_valid
from tests.integration.badge_world import ACTOR, LI_NA, make_world

SOMEONE_ELSE = make_valid("11010519491231002")


@pytest.fixture
def env(settings, monkeypatch):
    """The CLI reads its settings from the environment: point it at this test's storage."""
    for name in ("data_dir", "storage", "database_url", "schema_prefix", "id_hash_key", "checkpoint_key", "pg_pool_size"):
        monkeypatch.setenv(f"CARECRED_{name.upper()}", str(getattr(settings, name)))
    return settings


def run(capsys, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_an_operator_generates_rotates_and_lists_badge_keys(env, capsys):
    code, out = run(capsys, "badge-keys", "generate")
    assert code == 0 and "trust anchor" in out and "generated and active" in out
    code, out = run(capsys, "badge-keys", "generate")
    assert code == 2 and "rotate instead" in out
    code, out = run(capsys, "badge-keys", "rotate", "--algorithm", "EdDSA")
    assert code == 0 and "(EdDSA) is now active" in out and "retired; trusted until" in out
    code, out = run(capsys, "badge-keys", "list")
    lines = out.strip().splitlines()
    assert len(lines) == 3
    assert sum("[active]" in line for line in lines) == 2  # the anchor and the new badge key
    assert sum("retired" in line for line in lines) == 1
    code, out = run(capsys, "badge-keys", "anchor")
    assert code == 0 and "BEGIN PUBLIC KEY" in out and "PRIVATE" not in out
    first_anchor = out.split("key id ")[1].split()[0]
    code, out = run(capsys, "badge-keys", "rotate-anchor")
    assert code == 0 and f"{first_anchor} signed the handover" in out
    code, out = run(capsys, "badge-keys", "list")
    anchors = [line for line in out.splitlines() if " anchor " in line]
    assert len(anchors) == 2 and sum("[active]" in line for line in anchors) == 1
    assert any(first_anchor in line and "retired" in line for line in anchors)
    code, out = run(capsys, "badge-keys", "generate")
    assert code == 2  # generate is for the first keys only


def _cache(world, directory, now=None):
    directory.mkdir(parents=True, exist_ok=True)
    (directory / ANCHOR).write_text(world.badges.keys.anchor().public_key_pem)
    (directory / TRUST_LIST).write_bytes(world.badges.keys.signed_trust_list(now))
    (directory / STATUS_LIST).write_bytes(world.badges.statuses.signed_status_list(now))


def test_an_inspector_verifies_a_badge_image_offline_and_sees_how_old_the_lists_are(env, capsys, tmp_path):
    world = make_world(env)
    try:
        issued = world.issue()
        image = tmp_path / "badge.png"
        image.write_bytes(base64.b64decode(issued.png_base64))
        cache = tmp_path / "cache"
        _cache(world, cache, now=dt.datetime.now(dt.UTC) - dt.timedelta(hours=2))

        code, out = run(capsys, "verify", "--image", str(image), "--cache-dir", str(cache), "--id-number", LI_NA)
        assert code == 0, out
        assert "VALID" in out and "李娜" in out and "朱泾镇阳光托育园" in out
        assert "人证合一): yes" in out and LI_NA not in out
        assert "status as of" in out and "(Shanghai), 2h 0m old" in out and "STALE" not in out

        code, out = run(capsys, "verify", issued.qr_text, "--cache-dir", str(cache))
        assert code == 6 and "VALID" in out and "HOLDER NOT CHECKED" in out
        code, out = run(capsys, "verify", issued.qr_text, "--cache-dir", str(cache), "--id-number", SOMEONE_ELSE)
        assert code == 4 and "HOLDER_MISMATCH" in out and SOMEONE_ELSE not in out

        world.badges.statuses.mark_certificate("JK-2026-004512", "revoked", reason="forged", actor=ACTOR)
        code, out = run(capsys, "verify", issued.qr_text, "--cache-dir", str(cache), "--id-number", LI_NA)
        assert code == 0 and "VALID" in out  # the cached list predates the revocation...
        _cache(world, cache)
        code, out = run(capsys, "verify", issued.qr_text, "--cache-dir", str(cache), "--id-number", LI_NA)
        assert code == 3 and "REVOKED" in out  # ...until the inspector refreshes it

        fresh = world.issue()
        _cache(world, cache, now=dt.datetime.now(dt.UTC) - dt.timedelta(hours=13))
        code, out = run(capsys, "verify", fresh.qr_text, "--cache-dir", str(cache), "--id-number", LI_NA, "--json")
        assert code == 5 and '"verdict":"status_unknown"' in out and '"stale":true' in out
        code, out = run(capsys, "verify", fresh.qr_text, "--cache-dir", str(cache), "--id-number", LI_NA)
        assert code == 5 and "STATUS_UNKNOWN" in out and "STALE" in out
        code, out = run(capsys, "verify", issued.qr_text, "--cache-dir", str(cache), "--id-number", LI_NA)
        assert code == 3 and "REVOKED" in out  # a revocation stays visible in old lists: it is for good
    finally:
        world.app.close()


def test_help_explains_the_freshness_window_and_the_exit_codes(capsys):
    with pytest.raises(SystemExit) as done:
        main(["verify", "--help"])
    out = capsys.readouterr().out
    assert done.value.code == 0
    assert "12 hours" in out and "CARECRED_BADGE_STATUS_MAX_AGE_SECONDS" in out and "status as of" in out
    for code, word in (("0", "VALID"), ("6", "not checked"), ("4", "HOLDER_MISMATCH"), ("5", "STATUS_UNKNOWN"), ("3", "revoked")):
        assert any(line.strip().startswith(code) and word in line for line in out.splitlines()), (code, out)


def test_verify_without_cached_lists_says_how_to_get_them(env, capsys, tmp_path):
    code, out = run(capsys, "verify", "TY1:ABC", "--cache-dir", str(tmp_path / "empty"))
    assert code == 2 and "--refresh" in out


def test_lists_signed_by_another_anchor_are_refused(env, capsys, tmp_path):
    world = make_world(env)
    try:
        issued = world.issue()
        cache = tmp_path / "cache"
        _cache(world, cache)
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec

        impostor = ec.generate_private_key(ec.SECP256R1()).public_key()
        (cache / ANCHOR).write_bytes(impostor.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
        code, out = run(capsys, "verify", issued.qr_text, "--cache-dir", str(cache))
        assert code == 2 and "trust anchor" in out
    finally:
        world.app.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _age(cache, seconds: int) -> None:
    """Make the cached lists look ``seconds`` old to the automatic refresh."""
    then = time.time() - seconds
    os.utime(cache / STATUS_LIST, (then, then))


def test_the_lists_refresh_by_themselves_from_the_remembered_service_and_follow_an_anchor_rotation(
        env, capsys, tmp_path, backend):
    if backend != "sqlite":
        pytest.skip("one storage is enough to exercise the download")
    import uvicorn

    from services.credential.app import create_app

    app = create_app(env)
    world = make_world(app=app.state.service)
    issued = world.issue()
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        for _ in range(100):
            if server.started:
                break
            time.sleep(0.05)
        cache = tmp_path / "cache"
        code, out = run(capsys, "verify", "--refresh", f"http://127.0.0.1:{port}", "--cache-dir", str(cache))
        assert code == 0, out
        assert "pinned the trust anchor" in out and world.badges.keys.anchor().kid in out
        assert {p.name for p in cache.iterdir()} == {ANCHOR, TRUST_LIST, STATUS_LIST, "source-url"}
        code, out = run(capsys, "verify", issued.qr_text, "--cache-dir", str(cache), "--id-number", LI_NA)
        assert code == 0 and "VALID" in out and "0m" in out and "cached trust list" not in out  # fresh: no refresh

        world.badges.statuses.change_badge_status(issued.badge_id, "suspended", reason="inquiry", actor=ACTOR)
        _age(cache, REFRESH_AFTER + 1)
        code, out = run(capsys, "verify", issued.qr_text, "--cache-dir", str(cache), "--id-number", LI_NA)
        assert code == 3 and "SUSPENDED" in out and "cached trust list" in out  # refreshed by itself

        old_pin = (cache / ANCHOR).read_bytes()
        new_anchor = world.badges.keys.rotate_anchor(actor=ACTOR)
        _age(cache, REFRESH_AFTER + 1)
        code, out = run(capsys, "verify", issued.qr_text, "--cache-dir", str(cache), "--offline")
        assert code == 3 and "rolled over" not in out  # --offline: no refresh, the old list still verifies
        code, out = run(capsys, "verify", issued.qr_text, "--cache-dir", str(cache))
        assert f"rolled over from" in out and new_anchor.kid in out
        assert (cache / ANCHOR).read_bytes() != old_pin and new_anchor.kid in run(capsys, "badge-keys", "anchor")[1]
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    _age(cache, REFRESH_AFTER + 1)
    code, out = run(capsys, "verify", issued.qr_text, "--cache-dir", str(cache))
    assert code == 3 and "offline: could not refresh" in out and "SUSPENDED" in out


def test_lists_can_be_given_as_files_and_an_unreachable_service_is_reported(env, capsys, tmp_path):
    world = make_world(env)
    try:
        issued = world.issue()
        files = tmp_path / "usb-stick"
        _cache(world, files)
        code, out = run(capsys, "verify", issued.qr_text, "--trust-list", str(files / TRUST_LIST),
                        "--status-list", str(files / STATUS_LIST), "--anchor", str(files / ANCHOR),
                        "--cache-dir", str(tmp_path / "unused"), "--id-number", SOMEONE_ELSE)
        assert code == 4 and "HOLDER_MISMATCH" in out and "人证合一): NO" in out
        code, out = run(capsys, "verify", "--refresh", f"http://127.0.0.1:{_free_port()}", "--cache-dir", str(tmp_path / "c"))
        assert code == 2 and "cannot refresh" in out
    finally:
        world.app.close()
