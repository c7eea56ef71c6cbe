"""Personal data is encrypted at rest, and every audit still works: proofs hash what is stored."""

import base64
import os

import msgspec
import pytest
from litestar.testing import TestClient

from carecred.cli import main
from contracts.keys import Role
from services.credential.app import create_app
from services.credential.application import Credentials
from shared.audit.replay import replay
from tests.audit_support import REGISTRAR, StoredRows, audit_settings, seed_district, use_settings  # noqa: F401
from tests.conftest import issue

WANG_FANG = "11010519491231002X"


@pytest.fixture
def encrypted(audit_settings):  # noqa: F811
    return msgspec.structs.replace(audit_settings, cipher_key=base64.b64encode(os.urandom(32)).decode())


def test_without_a_key_the_name_is_readable_in_the_stored_bytes(audit_settings):  # noqa: F811
    app = Credentials(audit_settings)
    try:
        app.registry.register_staff(name="王芳", id_number=WANG_FANG, registered_by=None, actor=REGISTRAR)
        assert "王芳".encode() in StoredRows(app).all_states()
    finally:
        app.close()


def test_with_a_key_no_name_is_readable_and_the_audit_still_works(encrypted, monkeypatch, tmp_path, capsys):
    app = Credentials(encrypted)
    try:
        wang = app.registry.register_staff(name="王芳", id_number=WANG_FANG, registered_by=None, actor=REGISTRAR)
        seeded = seed_district(app)
        stored = StoredRows(app).all_states()
        for name in ["王芳", "员工3号", "朱泾一托", "巡查员 张"]:
            assert name.encode() not in stored and name.encode("unicode_escape") not in stored
        assert b"left the inspectorate" not in stored

        # The service itself reads everything back.
        assert app.registry.staff(wang.staff_id).name == "王芳"
        history = app.audit.history(wang.staff_id)
        assert history.events[0].body["name"] == "王芳" and history.events[0].actor == REGISTRAR
        assert replay(app).identical
    finally:
        app.close()

    with TestClient(create_app(encrypted)) as client:
        auditor = issue(client.app.state.service, Role.AUDITOR)
        key = client.get(f"/v1/audit/aggregates/{seeded['revoked_key']}/history", headers=auditor).json()
        assert key["events"][1]["reason"] == "left the inspectorate"

    # An auditor's checkpoint and export verify on the encrypted bytes, and still catch a change.
    use_settings(monkeypatch, encrypted)
    kept, export = tmp_path / "checkpoint.json", tmp_path / "export.ndjson"
    assert main(["audit", "checkpoint", "--service", "credential", "--output", str(kept)]) == 0
    assert main(["audit", "export", "--service", "credential", "--output", str(export)]) == 0
    assert main(["audit", "verify", "--service", "credential", "--export", str(export), "--checkpoint", str(kept)]) == 0

    app = Credentials(encrypted)
    try:
        victim = list(app.audit.leaf_rows())[2]
        StoredRows(app).change_one_byte(victim["notification_id"])
    finally:
        app.close()
    assert main(["audit", "export", "--service", "credential", "--output", str(export)]) == 0
    capsys.readouterr()
    assert main(["audit", "verify", "--service", "credential", "--export", str(export), "--checkpoint", str(kept)]) == 1
    assert f"the event at position {victim['notification_id']}" in capsys.readouterr().err
