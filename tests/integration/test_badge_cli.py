"""The command line: an operator manages signing keys; an inspector verifies offline."""

from __future__ import annotations

import base64
import datetime as dt
import socket
import threading
import time

import pytest

from carecred.cli import main
from carecred.cli_badges import ANCHOR, STATUS_LIST, TRUST_LIST
from tests.integration.badge_world import ACTOR, LI_NA, make_world


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
        assert "status list: issued" in out and "2h 0m old" in out and "STALE" not in out

        world.badges.statuses.mark_certificate("JK-2026-004512", "revoked", reason="forged", actor=ACTOR)
        code, out = run(capsys, "verify", issued.qr_text, "--cache-dir", str(cache))
        assert code == 0 and "VALID" in out  # the cached list predates the revocation...
        _cache(world, cache)
        code, out = run(capsys, "verify", issued.qr_text, "--cache-dir", str(cache))
        assert code == 3 and "REVOKED" in out  # ...until the inspector refreshes it

        _cache(world, cache, now=dt.datetime.now(dt.UTC) - dt.timedelta(days=2))
        code, out = run(capsys, "verify", issued.qr_text, "--cache-dir", str(cache), "--json")
        assert code == 3 and '"stale":true' in out
    finally:
        world.app.close()


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


def test_refresh_downloads_and_pins_the_lists_from_a_running_service(env, capsys, tmp_path, backend):
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
        assert {p.name for p in cache.iterdir()} == {ANCHOR, TRUST_LIST, STATUS_LIST}
        code, out = run(capsys, "verify", issued.qr_text, "--cache-dir", str(cache))
        assert code == 0 and "VALID" in out and "0m" in out
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_lists_can_be_given_as_files_and_an_unreachable_service_is_reported(env, capsys, tmp_path):
    world = make_world(env)
    try:
        issued = world.issue()
        files = tmp_path / "usb-stick"
        _cache(world, files)
        code, out = run(capsys, "verify", issued.qr_text, "--trust-list", str(files / TRUST_LIST),
                        "--status-list", str(files / STATUS_LIST), "--anchor", str(files / ANCHOR),
                        "--cache-dir", str(tmp_path / "unused"), "--id-number", "110105194912310021")
        assert code == 0 and "VALID" in out and "人证合一): NO" in out
        code, out = run(capsys, "verify", "--refresh", f"http://127.0.0.1:{_free_port()}", "--cache-dir", str(tmp_path / "c"))
        assert code == 2 and "cannot refresh" in out
    finally:
        world.app.close()
