"""The shipped PostgreSQL set-up: the owner migrates, the services run as a role that can only append history.

Tested against the real server: `carecred db migrate --app-role R` as the owner, then both
services as R (with CARECRED_CREATE_EVENT_TABLES=false) for a whole write/read cycle, then R
itself tries to rewrite history. SQLite has no roles: whoever can write the file can write
anything in it; there, forged events are still caught by their tags (test_audit_forgery.py).
"""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

import msgspec
import psycopg
import pytest
from litestar.testing import TestClient
from psycopg import errors, sql

from carecred.cli import main
from contracts.keys import Role
from services.credential.app import create_app
from services.training.application import TrainingRecords
from shared.idnumber import make_valid
from shared.persistence import schema_name
from tests.audit_support import CHECKPOINT_KEY, use_settings
from tests.conftest import TEST_DATABASE_URL, drop_schemas, issue, make_settings, require_postgres

HISTORY = ("merkle_leaves", "merkle_nodes", "audit_checkpoints", "audit_legacy_seal", "aggregate_versions")


@pytest.fixture(params=["superuser", "owner role"])
def owner_settings(request, tmp_path):
    """The owner who migrates: the server's superuser (as in compose.yaml) or a plain role that may create
    schemas and roles (as in the README)."""
    require_postgres()
    settings = make_settings("postgres", tmp_path, checkpoint_key=CHECKPOINT_KEY)
    owner = f"{settings.schema_prefix}owner"
    if request.param == "owner role":
        with psycopg.connect(TEST_DATABASE_URL, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN CREATEROLE").format(sql.Identifier(owner)))
            database = conn.execute("SELECT current_database()").fetchone()[0]
            conn.execute(sql.SQL("GRANT CREATE ON DATABASE {} TO {}").format(sql.Identifier(database), sql.Identifier(owner)))
        settings = as_role(settings, owner, create_tables=True)
    yield settings
    drop_schemas(settings.schema_prefix)
    if request.param == "owner role":
        with psycopg.connect(TEST_DATABASE_URL, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(owner)))
            conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(owner)))


@pytest.fixture
def app_role(owner_settings):
    """The name of the services' role; `db migrate` creates it, this fixture drops it afterwards."""
    role = f"{owner_settings.schema_prefix}app"
    yield role
    drop_schemas(owner_settings.schema_prefix)
    with psycopg.connect(TEST_DATABASE_URL, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone():
            conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
            conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


def as_role(settings, role, *, create_tables=False):
    url = urlsplit(TEST_DATABASE_URL)
    return msgspec.structs.replace(
        settings, database_url=f"postgresql://{role}:app-secret@{url.hostname}:{url.port or 5432}{url.path}",
        create_event_tables=create_tables,
    )


def connect_as(role):
    url = urlsplit(TEST_DATABASE_URL)
    return psycopg.connect(host=url.hostname, port=url.port or 5432, dbname=url.path.lstrip("/"), user=role,
                           autocommit=True)


@pytest.fixture
def migrated(owner_settings, app_role, monkeypatch, capsys):
    use_settings(monkeypatch, owner_settings)
    monkeypatch.setenv("CARECRED_APP_PASSWORD", "app-secret")
    assert main(["db", "migrate", "--app-role", app_role]) == 0
    said = capsys.readouterr().out
    assert f"created role {app_role}" in said
    for service in ("credential", "training"):
        assert f"{service}: " in said and f"events authenticated from position 1 on; {app_role} may only append" in said
    assert main(["db", "migrate", "--app-role", app_role]) == 0  # again, as after every upgrade: nothing breaks
    return as_role(owner_settings, app_role)


@pytest.mark.postgres
def test_both_services_do_their_whole_work_as_the_append_only_role(migrated):
    with TestClient(create_app(migrated)) as client:
        app = client.app.state.service
        registrar, auditor = issue(app, Role.REGISTRAR), issue(app, Role.AUDITOR)
        nursery = client.post("/v1/nurseries", headers=registrar,
                              json={"name": "朱泾一托", "town": "朱泾镇", "ownership": "public", "inclusive": True})
        assert nursery.status_code == 201, nursery.text
        staff = client.post("/v1/staff", headers=registrar, json={
            "name": "李丽", "id_number": make_valid("31011619880512002"), "nursery_id": nursery.json()["nursery_id"]})
        assert staff.status_code == 201, staff.text
        assert client.get(f"/v1/staff/{staff.json()['staff_id']}", headers=registrar).json()["name"] == "李丽"
        badges = client.get("/v1/badges", headers=registrar, params={"staff_id": staff.json()["staff_id"]})
        assert badges.status_code == 200 and badges.json() == []  # the badge read model, made by migrate
        checkpoint = client.get("/v1/audit/checkpoint", headers=auditor)
        assert checkpoint.status_code == 200 and checkpoint.json()["tree_size"] == 4
        assert client.get("/ready").status_code == 200
    training = TrainingRecords(migrated)
    try:
        key_id, _ = training.issue_key(role=Role.PROVIDER, scope=str(uuid.uuid4()), name="开放大学", actor={"role": "test"})
        assert [k.key_id for k in training.list_keys()] == [key_id]
        assert training.audit.checkpoint().tree_size == 1
    finally:
        training.close()


@pytest.mark.postgres
def test_the_append_only_role_cannot_rewrite_history_or_its_proofs(migrated, owner_settings, app_role):
    with TestClient(create_app(migrated)) as client:
        app = client.app.state.service
        auditor = issue(app, Role.AUDITOR)
        for i in range(3):
            issue(app, Role.INSPECTOR, name=f"巡查员 {i}")
        assert client.get("/v1/audit/checkpoint", headers=auditor).status_code == 200
        events = app.recorder.events_table_name
    schema = schema_name(owner_settings, "credential")
    with connect_as(app_role) as conn:
        for table in (events, *HISTORY):
            target = sql.Identifier(schema, table)
            assert conn.execute(sql.SQL("SELECT COUNT(*) FROM {}").format(target)).fetchone()[0] > 0, table
            for statement in (sql.SQL("UPDATE {} SET {} = {}").format(target, sql.Identifier(_column(table)),
                                                                         sql.Identifier(_column(table))),
                              sql.SQL("DELETE FROM {}").format(target),
                              sql.SQL("TRUNCATE {}").format(target)):
                with pytest.raises(errors.InsufficientPrivilege, match="permission denied"):
                    conn.execute(statement)
        table = sql.Identifier(schema, events)
        with pytest.raises(errors.InsufficientPrivilege):  # no event placed at a chosen (earlier) position
            conn.execute(sql.SQL("INSERT INTO {} (originator_id, originator_version, topic, state, notification_id)"
                                 " VALUES (%s, 1, 'x', 'x', 0)").format(table), (uuid.uuid4(),))
        with pytest.raises(errors.InsufficientPrivilege, match="must be owner"):
            conn.execute(sql.SQL("ALTER TABLE {} DISABLE TRIGGER ALL").format(table))
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute(sql.SQL("CREATE TABLE {} (x int)").format(sql.Identifier(schema, "shadow")))
    with psycopg.connect(**owner_settings.postgres_params(), autocommit=True) as owner:  # the owner's slips too
        with pytest.raises(errors.InsufficientPrivilege, match="append-only"):
            owner.execute(sql.SQL("DELETE FROM {}").format(sql.Identifier(schema, "merkle_leaves")))


def _column(table: str) -> str:
    return {"merkle_leaves": "leaf_hash", "merkle_nodes": "hash", "audit_checkpoints": "signature",
            "audit_legacy_seal": "tag", "aggregate_versions": "recorded_at"}.get(table, "topic")


@pytest.mark.postgres
def test_an_event_the_append_only_role_inserts_itself_is_refused_by_the_service(migrated, owner_settings, app_role,
                                                                                 tmp_path, capsys):
    with TestClient(create_app(migrated)) as client:
        app = client.app.state.service
        issue(app, Role.INSPECTOR)
        kept = app.audit.checkpoint()
        events = app.recorder.events_table_name
        schema = schema_name(owner_settings, "credential")
        with connect_as(app_role) as conn:  # a copy of a real event, appended under a new id
            topic, state = conn.execute(sql.SQL("SELECT topic, state FROM {} ORDER BY notification_id LIMIT 1").format(
                sql.Identifier(schema, events))).fetchone()
            forged = uuid.uuid4()
            conn.execute(sql.SQL("INSERT INTO {} (originator_id, originator_version, topic, state) VALUES (%s, 1, %s, %s)")
                         .format(sql.Identifier(schema, events)), (forged, topic, state))
        ready = client.get("/ready")
        assert ready.status_code == 503 and ready.json()["code"] == "event_not_authenticated"
    checkpoint = tmp_path / "cp.json"
    export = tmp_path / "log.ndjson"
    assert main(["audit", "export", "--service", "credential", "--output", str(export)]) == 0
    capsys.readouterr()
    checkpoint.write_bytes(msgspec.json.encode(kept))
    assert main(["audit", "verify", "--service", "credential", "--export", str(export),
                 "--checkpoint", str(checkpoint)]) == 1
    assert f"(aggregate {forged}, version 1) is not authenticated" in capsys.readouterr().err


def test_sqlite_has_no_roles_so_migrate_refuses_an_app_role(tmp_path, monkeypatch, capsys):
    use_settings(monkeypatch, make_settings("sqlite", tmp_path))
    assert main(["db", "migrate", "--app-role", "carecred_app"]) == 2
    assert "SQLite has no roles" in capsys.readouterr().err
    assert main(["db", "migrate"]) == 0  # the tables and the seal, nothing else
    assert "credential: all tables ready; events authenticated from position 1 on" in capsys.readouterr().out
    assert main(["audit", "grants", "--service", "credential", "--role", "carecred_app"]) == 2
    assert "PostgreSQL only" in capsys.readouterr().err


@pytest.mark.postgres
def test_a_store_set_up_by_the_older_grants_is_taken_back_by_migrate(owner_settings, app_role, monkeypatch, capsys,
                                                                     request):
    """The earlier `audit grants --apply` handed the read-model tables to the app role; migrate takes them back."""
    from services.credential.application import Credentials

    Credentials(owner_settings).close()
    schema = schema_name(owner_settings, "credential")
    with psycopg.connect(TEST_DATABASE_URL, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(app_role)))
        conn.execute(sql.SQL("ALTER TABLE {} OWNER TO {}").format(sql.Identifier(schema, "staff"), sql.Identifier(app_role)))
    use_settings(monkeypatch, owner_settings)
    code = main(["db", "migrate", "--service", "credential", "--app-role", app_role])
    said = capsys.readouterr()
    if request.node.callspec.params["owner_settings"] == "superuser":
        assert code == 0, said.err
        with psycopg.connect(TEST_DATABASE_URL, autocommit=True) as conn:
            owner = conn.execute("SELECT tableowner FROM pg_tables WHERE schemaname = %s AND tablename = 'staff'",
                                 (schema,)).fetchone()[0]
        assert owner == owner_settings.postgres_params()["user"]
    else:
        assert code == 2
        assert f"REASSIGN OWNED BY {app_role} TO {owner_settings.postgres_params()['user']}" in said.err
