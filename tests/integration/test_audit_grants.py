"""On PostgreSQL the service's own database role can append events but never change or delete one."""

from urllib.parse import urlsplit

import msgspec
import psycopg
import pytest
from psycopg import errors, sql

from carecred.cli import main
from services.credential.application import Credentials
from shared.idnumber import make_valid
from shared.persistence import schema_name
from tests.audit_support import CHECKPOINT_KEY, REGISTRAR, seed_district, use_settings
from tests.conftest import TEST_DATABASE_URL, drop_schemas, make_settings, require_postgres


@pytest.fixture
def owner_settings(tmp_path):
    require_postgres()
    settings = make_settings("postgres", tmp_path, checkpoint_key=CHECKPOINT_KEY)
    yield settings
    drop_schemas(settings.schema_prefix)


@pytest.fixture
def app_role(owner_settings):
    role = f"{owner_settings.schema_prefix}app"
    with psycopg.connect(TEST_DATABASE_URL, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
    yield role
    with psycopg.connect(TEST_DATABASE_URL, autocommit=True) as conn:
        drop_schemas(owner_settings.schema_prefix)
        conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
        conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


def as_role(settings, role):
    url = urlsplit(TEST_DATABASE_URL)
    return msgspec.structs.replace(
        settings, database_url=f"postgresql://{role}@{url.hostname}:{url.port or 5432}{url.path}", create_event_tables=False
    )


@pytest.mark.postgres
def test_the_service_role_appends_events_but_cannot_update_or_delete_them(owner_settings, app_role, monkeypatch, capsys):
    owner = Credentials(owner_settings)
    seed_district(owner)
    events_table = owner.recorder.events_table_name
    owner.close()

    use_settings(monkeypatch, owner_settings)
    assert main(["audit", "grants", "--service", "credential", "--role", app_role, "--apply"]) == 0
    printed = capsys.readouterr().out
    assert f'GRANT SELECT, INSERT, UPDATE ON "{schema_name(owner_settings, "credential")}"."{events_table}"' in printed

    # The service, running as the restricted role, still does its work (and its audit).
    service = Credentials(as_role(owner_settings, app_role))
    try:
        li = service.register_staff(name="李丽", id_number=make_valid("31011619880512002"), registered_by=None,
                                    actor=REGISTRAR)
        assert service.staff(li.staff_id).name == "李丽"
        assert service.audit.checkpoint().tree_size == 18
    finally:
        service.close()

    # But no statement of that role can rewrite history.
    url = urlsplit(TEST_DATABASE_URL)
    table = sql.Identifier(schema_name(owner_settings, "credential"), events_table)
    with psycopg.connect(host=url.hostname, port=url.port or 5432, dbname=url.path.lstrip("/"), user=app_role,
                         autocommit=True) as conn:
        assert conn.execute(sql.SQL("SELECT COUNT(*) FROM {}").format(table)).fetchone()[0] == 18
        for statement in (
            sql.SQL("UPDATE {} SET topic = 'forged' WHERE notification_id = 1").format(table),
            sql.SQL("DELETE FROM {} WHERE notification_id = 1").format(table),
            sql.SQL("TRUNCATE {}").format(table),
        ):
            with pytest.raises(errors.InsufficientPrivilege, match="permission denied"):
                conn.execute(statement)
        assert conn.execute(sql.SQL("SELECT COUNT(*) FROM {}").format(table)).fetchone()[0] == 18


def test_grants_are_for_postgresql_only(tmp_path, monkeypatch, capsys):
    use_settings(monkeypatch, make_settings("sqlite", tmp_path))
    assert main(["audit", "grants", "--service", "credential", "--role", "carecred_app"]) == 2
    assert "PostgreSQL only" in capsys.readouterr().err
