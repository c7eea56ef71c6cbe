"""Whoever writes to the event table without the service's secret is caught, by verify and by the running service.

The forger here holds the database (SQLite: the file; PostgreSQL: a connection that may
INSERT, as the service's own role can), copies, moves and appends rows, but does not hold
CARECRED_CHECKPOINT_KEY, from which the service derives the key of every event's tag.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import os
import uuid

import msgspec
import pytest
from eventsourcing.domain import CanCreateTimestamp
from eventsourcing.persistence import Mapper
from litestar.testing import TestClient
from prometheus_client import REGISTRY

from carecred.cli import main
from contracts.keys import Role
from services.credential.app import create_app
from services.credential.application import Credentials
from shared.audit.authentication import AuthenticatingMapper, EventNotAuthenticated, without_tag
from shared.audit.legacy import LegacySeal
from shared.idnumber import make_valid
from tests.audit_support import (  # noqa: F401
    ADMIN, REGISTRAR, audit_settings, district, export_and_verify, seed_district, stored_leaves, use_settings,
)
from tests.conftest import issue


def refused() -> float:
    return REGISTRY.get_sample_value("carecred_events_refused_total", {"service": "credential"}) or 0.0


def forge_copy(district, index: int, *, aggregate_id=None, version: int = 1, strip_tag: bool = False) -> dict:
    """Append a copy of the stored event of leaf ``index`` under another aggregate id (or version)."""
    rows, stored = stored_leaves(district["settings"])
    original = rows[index]
    topic, state = stored.row(original["notification_id"])
    aggregate = aggregate_id or uuid.uuid4()
    position = stored.insert(aggregate, version, topic, without_tag(state) if strip_tag else state)
    return {"position": position, "aggregate_id": str(aggregate), "version": version, "original": original}


def test_a_copy_under_a_new_aggregate_id_fails_verify_naming_it(district, capsys):
    forged = forge_copy(district, 3)
    code, said = export_and_verify(district, capsys)
    assert code == 1, said
    assert (f"position {forged['position']} (aggregate {forged['aggregate_id']}, version 1) is not authenticated"
            " (its authentication tag does not match its aggregate, version, topic and bytes)") in said


def test_an_event_without_any_tag_fails_verify_naming_it(district, capsys):
    forged = forge_copy(district, 3, strip_tag=True)
    code, said = export_and_verify(district, capsys, "--offline")
    assert code == 1, said
    assert (f"position {forged['position']} (aggregate {forged['aggregate_id']}, version 1) is not authenticated"
            " (it carries no authentication tag)") in said


@pytest.fixture
def client(district):
    """The credential service over HTTP (made before ``caplog``: Litestar sets up logging when an app is made)."""
    with TestClient(create_app(district["settings"])) as client:
        yield client


def test_the_running_service_refuses_to_apply_or_checkpoint_a_forged_event_and_alerts(district, client, caplog):
    app = client.app.state.service
    auditor = issue(app, Role.AUDITOR)
    assert client.get("/v1/audit/checkpoint", headers=auditor).json()["tree_size"] == 18
    before = refused()
    forged = forge_copy(district, 3)

    with caplog.at_level(logging.ERROR, logger="carecred.audit"):
        ready = client.get("/ready")
    assert ready.status_code == 503, ready.text
    body = ready.json()
    assert body["code"] == "event_not_authenticated"
    assert body["read_model"] == "audit" and body["position"] == forged["position"]
    assert f"the audit read model stopped at position {app.projector.position()}:" in body["detail"]
    logged = [r for r in caplog.records if r.getMessage() == "refused a stored event that is not authenticated"]
    assert logged and logged[0].position == forged["position"] and logged[0].aggregate_id == forged["aggregate_id"]
    assert refused() > before

    response = client.get("/v1/audit/checkpoint", headers=auditor)
    assert response.status_code == 503 and response.json()["code"] == "event_not_authenticated"
    assert app.audit.tree_size(catch_up=False) == 18  # the forged event is in no leaf
    assert max(c.tree_size for c in app.audit.checkpoints()) == 18
    rows = app.store.query("SELECT COUNT(*) AS n FROM aggregate_versions WHERE aggregate_id = ?",
                           (forged["aggregate_id"],))
    assert rows[0]["n"] == 0  # nor in any other read model


def test_a_copy_as_the_next_version_of_its_own_aggregate_is_refused_when_the_aggregate_is_loaded(district, capsys):
    nursery = district["seeded"]["nurseries"][0]
    rows, _ = stored_leaves(district["settings"])
    index = next(i for i, r in enumerate(rows) if r["aggregate_id"] == str(nursery.nursery_id))
    forged = forge_copy(district, index, aggregate_id=uuid.UUID(str(nursery.nursery_id)), version=rows[index]["version"] + 1)
    app = Credentials(district["settings"])
    try:
        with pytest.raises(EventNotAuthenticated, match=f"aggregate {nursery.nursery_id}, version {forged['version']}"):
            app.repository.get(uuid.UUID(str(nursery.nursery_id)))
    finally:
        app.close()
    code, said = export_and_verify(district, capsys)
    assert code == 1
    assert f"position {forged['position']} (aggregate {nursery.nursery_id}, version {forged['version']}) is not authenticated" in said


def test_rows_swapped_between_aggregates_are_named(district, capsys):
    rows, stored = stored_leaves(district["settings"])
    first, second = rows[5], rows[9]
    assert first["aggregate_id"] != second["aggregate_id"]
    stored.swap(first["notification_id"], second["notification_id"])  # topic and bytes trade places
    code, said = export_and_verify(district, capsys)
    assert code == 1
    for row in (first, second):
        assert (f"position {row['notification_id']} (aggregate {row['aggregate_id']}, version {row['version']})"
                " is not authenticated") in said


def test_whole_rows_moved_to_other_positions_are_caught(district, capsys):
    """Rows moved whole keep valid tags (a position is not bound), but not their order along the log."""
    rows, stored = stored_leaves(district["settings"])
    issued, revoked = rows[-2], rows[-1]  # the API key's versions 1 and 2
    assert issued["aggregate_id"] == revoked["aggregate_id"] and (issued["version"], revoked["version"]) == (1, 2)
    stored.swap_positions(issued["notification_id"], revoked["notification_id"])
    code, said = export_and_verify(district, capsys, "--offline")
    assert code == 1, said
    assert "is not authenticated" not in said
    assert (f"position {issued['notification_id']} (aggregate {revoked['aggregate_id']}, version 2) follows version 0"
            " of its aggregate in the log") in said


def test_the_running_service_refuses_an_event_moved_past_later_versions_of_its_aggregate(district, client, caplog):
    app = client.app.state.service
    rows, stored = stored_leaves(district["settings"])
    issued = rows[-2]  # the API key's version 1, already applied; its version 2 follows
    moved = stored.move_to_end(issued["notification_id"])
    with caplog.at_level(logging.ERROR, logger="carecred.audit"):
        ready = client.get("/ready")
        with pytest.raises(Exception, match="out of order|moved or removed"):
            app.projector.catch_up()
    assert ready.status_code == 503 and ready.json()["code"] == "event_out_of_order"
    assert ready.json()["position"] == moved
    assert "is version 1 of its aggregate, but the log holds version 2 before it" in ready.json()["detail"]
    assert any(r.getMessage() == "refused a stored event out of order" and r.position == moved for r in caplog.records)
    assert app.audit.tree_size(catch_up=False) == len(rows)  # nothing applied past it


def test_recorded_time_going_backwards_is_flagged_by_the_service_and_by_verify(district, monkeypatch, capsys, caplog):
    app = Credentials(district["settings"])
    try:
        later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=3)  # a replica whose clock was ahead
        with monkeypatch.context() as clock:
            clock.setattr(CanCreateTimestamp, "create_timestamp", staticmethod(lambda: later))
            app.issue_key(role=Role.INSPECTOR, scope=None, name="巡查员 李", actor=ADMIN)
        with caplog.at_level(logging.WARNING, logger="carecred.audit"):
            app.issue_key(role=Role.INSPECTOR, scope=None, name="巡查员 王", actor=ADMIN)
        position = app.recorder.max_notification_id()
    finally:
        app.close()
    warned = [r for r in caplog.records if r.getMessage() == "recorded time goes backwards along the log"]
    assert [r.position for r in warned] == [position]
    assert (REGISTRY.get_sample_value("carecred_recorded_time_backwards_total", {"service": "credential"}) or 0) >= 1

    code, said = export_and_verify(district, capsys)
    assert code == 3, said
    assert "OK: " in said
    assert f"WARNING: position {position} " in said and "recorded time goes backwards" in said
    code, said = export_and_verify(district, capsys, "--time-tolerance", str(4 * 3600))
    assert code == 0, said


def test_a_store_written_before_events_were_authenticated_keeps_working_and_stays_protected(
        audit_settings, monkeypatch, tmp_path, capsys):  # noqa: F811
    """An older version stored events without tags: they are sealed once and keep working; forgeries do not."""
    use_settings(monkeypatch, audit_settings)
    with monkeypatch.context() as older:  # the version before authentication: plain eventsourcing mapping
        older.setattr(AuthenticatingMapper, "to_stored_event", Mapper.to_stored_event)
        older.setattr(AuthenticatingMapper, "to_domain_event", Mapper.to_domain_event)
        older.setattr(LegacySeal, "ensure", lambda self, app: 0)
        app = Credentials(audit_settings)
        seeded = seed_district(app)
        key_id, _ = app.issue_key(role=Role.INSPECTOR, scope=None, name="巡查员 赵", actor=ADMIN)
        old_events = app.recorder.max_notification_id()
        app.close()
        kept = tmp_path / "checkpoint.json"
        assert main(["audit", "checkpoint", "--service", "credential", "--output", str(kept)]) == 0
    district = {"settings": audit_settings, "kept": kept, "tmp": tmp_path}

    app = Credentials(audit_settings)  # this version: seals the old events before writing anything
    try:
        assert app.legacy.through == old_events
        staff = seeded["staff"][0]
        assert app.registry.staff(staff.staff_id).name == staff.name
        app.revoke_key(uuid.UUID(key_id), reason="moved away", actor=ADMIN)  # an old aggregate, a new event
        assert app.repository.get(uuid.UUID(key_id)).version == 2
        app.registry.register_staff(name="新来的", id_number=make_valid("31011619900101003"), registered_by=None, actor=REGISTRAR)
    finally:
        app.close()
    code, said = export_and_verify(district, capsys)
    assert code == 0, said

    # An untagged event is no longer accepted: not appended to an old aggregate, nor to a new one.
    rows, stored = stored_leaves(audit_settings)
    nursery = str(seeded["nurseries"][1].nursery_id)
    old = next(r for r in rows if r["aggregate_id"] == nursery)
    topic, state = stored.row(old["notification_id"])
    forged = stored.insert(uuid.UUID(nursery), old["version"] + 1, topic, state)
    app = Credentials(audit_settings)
    try:
        with pytest.raises(EventNotAuthenticated, match="it carries no authentication tag"):
            app.repository.get(uuid.UUID(nursery))
        assert app.repository.get(uuid.UUID(key_id)).version == 2  # other aggregates still load
    finally:
        app.close()
    code, said = export_and_verify(district, capsys)
    assert code == 1
    assert (f"position {forged} (aggregate {nursery}, version {old['version'] + 1}) is not authenticated"
            " (it carries no authentication tag)") in said
    assert said.count("is not authenticated") == 1  # the sealed old events are not


def test_verify_exit_codes_for_unreadable_input(district, capsys):
    missing = district["tmp"] / "nowhere.json"
    assert main(["audit", "verify", "--service", "credential", "--export", str(missing),
                 "--checkpoint", str(missing)]) == 2
    assert "cannot read the checkpoint" in capsys.readouterr().err
    assert main(["audit", "verify", "--service", "credential", "--export", str(missing),
                 "--checkpoint", str(district["kept"])]) == 2
    assert "no export file" in capsys.readouterr().err


def test_with_encryption_the_tag_covers_the_ciphertext(audit_settings, monkeypatch, tmp_path, capsys):  # noqa: F811
    """Encrypt, then authenticate: a copied ciphertext under another id is refused like any other copy."""
    encrypted = msgspec.structs.replace(audit_settings, cipher_key=base64.b64encode(os.urandom(32)).decode())
    use_settings(monkeypatch, encrypted)
    app = Credentials(encrypted)
    seed_district(app)
    kept = app.audit.checkpoint()
    app.close()
    (tmp_path / "checkpoint.json").write_bytes(msgspec.json.encode(kept))
    district = {"settings": encrypted, "kept": tmp_path / "checkpoint.json", "tmp": tmp_path}
    assert export_and_verify(district, capsys)[0] == 0
    forged = forge_copy(district, 4)
    code, said = export_and_verify(district, capsys)
    assert code == 1
    assert f"position {forged['position']} (aggregate {forged['aggregate_id']}, version 1) is not authenticated" in said
