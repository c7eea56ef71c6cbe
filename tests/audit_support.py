"""Helpers of the audit tests: a seeded district, the CLI's environment, and raw access to stored events."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any
from uuid import UUID

import msgspec
import psycopg
import pytest
from psycopg import sql

from contracts.keys import Role
from contracts.registry import NewNursery
from shared.idnumber import make_valid
from shared.persistence import schema_name
from shared.settings import Settings

CHECKPOINT_KEY = "22" * 32
REGISTRAR = {"key_id": "registrar-1", "role": "registrar", "scope": None}
ADMIN = {"key_id": "admin-1", "role": "admin", "scope": None}


@pytest.fixture
def audit_settings(settings: Settings) -> Settings:
    """The storage under test, with a configured checkpoint key (PostgreSQL requires one)."""
    return msgspec.structs.replace(settings, checkpoint_key=CHECKPOINT_KEY)


def use_settings(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    """Make ``Settings.from_env()`` (the CLI's) return these settings."""
    for name in Settings.__struct_fields__:
        value = getattr(settings, name)
        monkeypatch.setenv(f"CARECRED_{name.upper()}", str(value).lower() if isinstance(value, bool) else str(value))


def seed_district(app: Any) -> dict[str, Any]:
    """Three nurseries, a dozen staff, and an API key issued then revoked."""
    nurseries = [
        app.registry.register_nursery(NewNursery(name=name, town=town, ownership=own, inclusive=inc), REGISTRAR)
        for name, town, own, inc in [("朱泾一托", "朱泾镇", "public", True), ("枫泾宝贝", "枫泾镇", "private", False),
                                     ("石化幼儿园托班", "石化街道", "public", True)]
    ]
    staff = [
        app.registry.register_staff(name=f"员工{i}号", id_number=make_valid(f"3101161988{i % 12 + 1:02d}15{i:03d}"),
                                    registered_by=nurseries[i % 3].nursery_id, actor=REGISTRAR)
        for i in range(12)
    ]
    key_id, _ = app.issue_key(role=Role.INSPECTOR, scope=None, name="巡查员 张", actor=ADMIN)
    app.revoke_key(UUID(key_id), reason="left the inspectorate", actor=ADMIN)
    return {"nurseries": nurseries, "staff": staff, "revoked_key": key_id}


@pytest.fixture
def district(audit_settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, Any]:
    """A seeded credential service, and the checkpoint an auditor took of it and kept."""
    from carecred.cli import main
    from services.credential.application import Credentials

    use_settings(monkeypatch, audit_settings)
    app = Credentials(audit_settings)
    seeded = seed_district(app)
    app.close()
    kept = tmp_path / "checkpoint.json"
    assert main(["audit", "checkpoint", "--service", "credential", "--output", str(kept)]) == 0
    return {"settings": audit_settings, "kept": kept, "seeded": seeded, "tmp": tmp_path}


def export_and_verify(district: dict[str, Any], capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str]:
    """Export the log, then verify it against the kept checkpoint; (exit code, everything printed)."""
    from carecred.cli import main

    export = district["tmp"] / "export.ndjson"
    assert main(["audit", "export", "--service", "credential", "--output", str(export)]) == 0
    capsys.readouterr()
    code = main(["audit", "verify", "--service", "credential", "--export", str(export),
                 "--checkpoint", str(district["kept"]), *extra])
    out = capsys.readouterr()
    return code, out.out + out.err


def stored_leaves(settings: Settings) -> tuple[list[Any], StoredRows]:
    """The credential service's stored Merkle leaf rows, and raw access to its event rows."""
    from services.credential.application import Credentials

    app = Credentials(settings)
    try:
        return list(app.audit.leaf_rows()), StoredRows(app)
    finally:
        app.close()


class StoredRows:
    """Direct access to a service's stored event rows, as someone with database access would have."""

    def __init__(self, app: Any):
        self.settings: Settings = app.settings
        self.table = app.recorder.events_table_name
        self.schema = schema_name(self.settings, app.service)
        self.path = Path(self.settings.data_dir) / f"{app.service}.sqlite"
        self.id_column = "notification_id" if self.settings.uses_postgres else "rowid"

    def _run(self, statement: str, params: tuple[Any, ...] = ()) -> list[Any]:
        table = f'"{self.schema}"."{self.table}"' if self.settings.uses_postgres else f'"{self.table}"'
        statement = statement.replace("{t}", table).replace("{id}", self.id_column)
        if self.settings.uses_postgres:
            with psycopg.connect(**self.settings.postgres_params(), autocommit=True) as conn:
                cur = conn.execute(sql.SQL(statement.replace("?", "%s")), params)  # type: ignore[arg-type]
                return cur.fetchall() if cur.description else []
        with closing(sqlite3.connect(self.path)) as conn, conn:
            return conn.execute(statement, params).fetchall()

    def row(self, position: int) -> tuple[str, bytes]:
        (topic, state), = self._run("SELECT topic, state FROM {t} WHERE {id} = ?", (position,))
        return topic, bytes(state)

    def all_states(self) -> bytes:
        return b"".join(bytes(state) for (state,) in self._run("SELECT state FROM {t}"))

    def set_row(self, position: int, topic: str, state: bytes) -> None:
        self._run("UPDATE {t} SET topic = ?, state = ? WHERE {id} = ?", (topic, state, position))

    def change_one_byte(self, position: int) -> None:
        topic, state = self.row(position)
        i = len(state) // 2
        self.set_row(position, topic, state[:i] + bytes([state[i] ^ 0x01]) + state[i + 1:])

    def insert(self, aggregate_id: UUID, version: int, topic: str, state: bytes) -> int:
        """Append a row as a direct INSERT would (the database picks its position); return the position."""
        originator = aggregate_id if self.settings.uses_postgres else aggregate_id.hex  # as eventsourcing stores it
        self._run("INSERT INTO {t} (originator_id, originator_version, topic, state) VALUES (?, ?, ?, ?)",
                  (originator, version, topic, state))
        (position,), = self._run("SELECT MAX({id}) FROM {t}")
        return int(position)

    def delete(self, position: int) -> None:
        self._run("DELETE FROM {t} WHERE {id} = ?", (position,))

    def move_to_end(self, position: int) -> int:
        """Move a whole row to a new position after every other; return it."""
        (last,), = self._run("SELECT MAX({id}) FROM {t}")
        self._run("UPDATE {t} SET {id} = ? WHERE {id} = ?", (int(last) + 1, position))
        return int(last) + 1

    def swap_positions(self, first: int, second: int) -> None:
        """Move two whole rows (aggregate, version, topic, bytes) to each other's log position."""
        (last,), = self._run("SELECT MAX({id}) FROM {t}")
        spare = int(last) + 1000
        for source, target in ((first, spare), (second, first), (spare, second)):
            self._run("UPDATE {t} SET {id} = ? WHERE {id} = ?", (target, source))

    def swap(self, first: int, second: int) -> None:
        a, b = self.row(first), self.row(second)
        self.set_row(first, *b)
        self.set_row(second, *a)
