"""Replay: rebuild every read model of a service from its event log into fresh tables, then compare.

The rebuilt tables live beside the live ones (a temporary schema on PostgreSQL, a temporary
file on SQLite); the service's own Projection objects fill them, page by page, so a long log
runs in bounded memory. The comparison is done by the database (``EXCEPT``), order-free.
"""

from __future__ import annotations

import sqlite3
import sys
import time
import uuid
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, TextIO

from psycopg import sql

from shared.persistence import ReadStore, schema_name
from shared.projection import Projector

EXAMPLES = 5


@dataclass
class TableDifference:
    """How one rebuilt table differs from the live one."""

    table: str
    only_live: int = 0
    only_rebuilt: int = 0
    examples_live: list[tuple[Any, ...]] = field(default_factory=list)
    examples_rebuilt: list[tuple[Any, ...]] = field(default_factory=list)
    note: str = ""

    def describe(self) -> str:
        lines = [f"table {self.table}: {self.note}" if self.note else
                 f"table {self.table}: {self.only_live} row(s) only in the live table, "
                 f"{self.only_rebuilt} row(s) only in the rebuilt table"]
        lines += [f"  live only:    {row}" for row in self.examples_live]
        lines += [f"  rebuilt only: {row}" for row in self.examples_rebuilt]
        return "\n".join(lines)


@dataclass
class ReplayReport:
    """What a replay did and found."""

    service: str
    events: int
    seconds: float
    tables: list[str]
    differences: list[TableDifference]

    @property
    def identical(self) -> bool:
        return not self.differences


def text_progress(total: int, out: TextIO | None = None, label: str = "replay") -> Callable[[int, int], None]:
    """A progress callback that draws a text bar with the event rate (on standard error by default)."""
    started = time.monotonic()
    done = 0

    def show(position: int, events: int) -> None:
        nonlocal done
        done += events
        rate = done / max(time.monotonic() - started, 1e-6)
        width, stream = 30, out or sys.stderr
        filled = width if total <= 0 else min(width, width * position // total)
        stream.write(f"\r{label} [{'#' * filled}{'.' * (width - filled)}] {position}/{total}  {done} events  {rate:,.0f} ev/s")
        stream.flush()

    return show


def replay(app: Any, *, progress: Callable[[int, int], None] | None = None, keep: bool = False) -> ReplayReport:
    """Rebuild the service's read models from its events into fresh tables and compare with the live ones."""
    app.projector.catch_up()
    started = time.monotonic()
    events = 0

    def count(position: int, batch: int) -> None:
        nonlocal events
        events += batch
        if progress is not None:
            progress(position, batch)

    projections = app.projector.projections
    tables = [t for p in projections if p.from_own_events for t in p.tables]
    ignored = {t: {"position", *p.bookkeeping_columns} for p in projections for t in p.tables}
    if app.store.is_postgres:
        target: _Target = _PostgresTarget(app)
    else:
        target = _SQLiteTarget(app)
    try:
        rebuilt = Projector(app, target.store, projections, live=False)
        rebuilt.create_tables()
        rebuilt.catch_up(on_progress=count)
        app.projector.catch_up()
        differences = [d for t in tables if (d := target.compare(t, ignored[t])) is not None]
    finally:
        target.close(keep)
    return ReplayReport(app.service, events, time.monotonic() - started, tables, differences)


@contextmanager
def log_prefix(app: Any, last_position: int) -> Iterator[ReadStore]:
    """The service's read models rebuilt from its log up to ``last_position`` only, in scratch tables
    (dropped afterwards): to compute again what was computed from that prefix of the log."""
    target: _Target = _PostgresTarget(app) if app.store.is_postgres else _SQLiteTarget(app)
    try:
        rebuilt = Projector(app, target.store, app.projector.projections, live=False)
        rebuilt.create_tables()
        rebuilt.catch_up_to(last_position)
        yield target.store
    finally:
        target.close(False)


class _Target:
    store: ReadStore

    def compare(self, table: str, ignored: set[str]) -> TableDifference | None:
        live_columns = self.columns("live", table)
        rebuilt_columns = self.columns("rebuilt", table)
        if live_columns != rebuilt_columns:
            return TableDifference(table, note=f"columns differ: live {live_columns}, rebuilt {rebuilt_columns}")
        columns = [c for c in live_columns if c not in ignored]
        diff = TableDifference(table)
        diff.only_live, diff.examples_live = self.minus(table, columns, "live", "rebuilt")
        diff.only_rebuilt, diff.examples_rebuilt = self.minus(table, columns, "rebuilt", "live")
        return diff if diff.only_live or diff.only_rebuilt else None

    def columns(self, side: str, table: str) -> list[str]:
        raise NotImplementedError

    def minus(self, table: str, columns: list[str], left: str, right: str) -> tuple[int, list[tuple[Any, ...]]]:
        raise NotImplementedError

    def close(self, keep: bool) -> None:
        raise NotImplementedError


class _PostgresTarget(_Target):
    def __init__(self, app: Any):
        self.app = app
        self.schemas = {"live": schema_name(app.settings, app.service),
                        "rebuilt": f"{schema_name(app.settings, app.service)}_replay_{uuid.uuid4().hex[:6]}"}
        with app.store.transaction(commit=True) as cur:
            cur.raw.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(self.schemas["rebuilt"])))
        self.store = ReadStore(app.recorder.datastore, self.schemas["rebuilt"])

    def columns(self, side: str, table: str) -> list[str]:
        rows = self.app.store.query(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ?"
            " ORDER BY ordinal_position", (self.schemas[side], table),
        )
        return [r["column_name"] for r in rows]

    def minus(self, table: str, columns: list[str], left: str, right: str) -> tuple[int, list[tuple[Any, ...]]]:
        cols = sql.SQL(", ").join(sql.Identifier(c) for c in columns)
        query = sql.SQL("SELECT {cols} FROM {l}.{t} EXCEPT ALL SELECT {cols} FROM {r}.{t}").format(
            cols=cols, t=sql.Identifier(table), l=sql.Identifier(self.schemas[left]), r=sql.Identifier(self.schemas[right]),
        )
        with self.app.store.transaction(commit=False) as cur:
            cur.raw.execute(sql.SQL("SELECT COUNT(*) AS n FROM ({}) d").format(query))
            n = int(cur.raw.fetchone()["n"])
            examples: list[tuple[Any, ...]] = []
            if n:  # only a table that differs is read again, for its examples
                cur.raw.execute(query + sql.SQL(" LIMIT {}").format(sql.Literal(EXAMPLES)))
                examples = [tuple(r.values()) for r in cur.raw.fetchall()]
        return n, examples

    def close(self, keep: bool) -> None:
        if not keep:
            with self.app.store.transaction(commit=True) as cur:
                cur.raw.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(self.schemas["rebuilt"])))


class _SQLiteTarget(_Target):
    def __init__(self, app: Any):
        from eventsourcing.sqlite import SQLiteDatastore

        self.live_path = Path(app.settings.data_dir) / f"{app.service}.sqlite"
        self.path = self.live_path.with_name(f"{app.service}-replay-{uuid.uuid4().hex[:6]}.sqlite")
        self.datastore = SQLiteDatastore(db_name=str(self.path))
        # The scratch file is deleted after the comparison and a replay cut off starts again from
        # nothing, so its commits need not wait for the disk. The setting is per connection and
        # outside a transaction; the replay runs on one thread, so the pool hands back this connection.
        with self.datastore.get_connection(commit=True) as conn:
            conn.cursor().execute("PRAGMA synchronous=OFF")
        self.store = ReadStore(self.datastore, None)

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.live_path)
        conn.execute("ATTACH DATABASE ? AS rebuilt", (str(self.path),))
        return conn

    def columns(self, side: str, table: str) -> list[str]:
        schema = "main" if side == "live" else "rebuilt"
        with closing(self._connect()) as conn:
            return [r[1] for r in conn.execute(f'PRAGMA {schema}.table_info("{table}")')]

    def minus(self, table: str, columns: list[str], left: str, right: str) -> tuple[int, list[tuple[Any, ...]]]:
        names = {"live": "main", "rebuilt": "rebuilt"}
        cols = ", ".join(f'"{c}"' for c in columns)
        query = f'SELECT {cols} FROM {names[left]}."{table}" EXCEPT SELECT {cols} FROM {names[right]}."{table}"'
        with closing(self._connect()) as conn:
            n = conn.execute(f"SELECT COUNT(*) FROM ({query})").fetchone()[0]
            examples = conn.execute(f"{query} LIMIT {EXAMPLES}").fetchall() if n else []
            # EXCEPT is a set difference: also compare row counts (a duplicated row is a difference too).
            if not n:
                counts = [conn.execute(f'SELECT COUNT(*) FROM {names[s]}."{table}"').fetchone()[0] for s in (left, right)]
                n = max(0, counts[0] - counts[1])
        return int(n), [tuple(r) for r in examples]

    def close(self, keep: bool) -> None:
        self.datastore.close()
        if not keep:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
