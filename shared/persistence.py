"""Persistence wiring: the event store (eventsourcing) and the read-model tables beside it.

Each service keeps its own tables: on SQLite its own file, on PostgreSQL its own schema.
Read-model SQL is written once with ``?`` placeholders and runs on both databases.
"""

from __future__ import annotations

import sqlite3
import threading
import time
import weakref
import zlib
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

import psycopg
from eventsourcing.persistence import InterfaceError, OperationalError, ProgrammingError
from psycopg import sql

from shared.settings import Settings


def schema_name(settings: Settings, service: str) -> str:
    return f"{settings.schema_prefix}{service}"


def eventsourcing_env(settings: Settings, service: str) -> dict[str, str]:
    """The environment an eventsourcing Application of ``service`` is built with."""
    env = _storage_env(settings, service)
    if settings.cipher_key:
        # Personal data is encrypted at rest; proofs hash the stored (encrypted) bytes.
        env.update(CIPHER_TOPIC="eventsourcing.cipher:AESCipher", CIPHER_KEY=settings.cipher_key)
    if not settings.create_event_tables:
        env["CREATE_TABLE"] = "no"
    return env


def _storage_env(settings: Settings, service: str) -> dict[str, str]:
    if settings.uses_postgres:
        pg = settings.postgres_params()
        ensure_schema(settings, service)
        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": pg["dbname"],
            "POSTGRES_HOST": pg["host"],
            "POSTGRES_PORT": pg["port"],
            "POSTGRES_USER": pg["user"],
            "POSTGRES_PASSWORD": pg["password"],
            "POSTGRES_SCHEMA": schema_name(settings, service),
            "POSTGRES_POOL_SIZE": str(settings.pg_pool_size),
            "POSTGRES_MAX_OVERFLOW": str(settings.pg_pool_size),
            # No pre-ping: it cost a round trip per checkout. A connection broken by an outage fails its
            # one call, the pool discards it, and StorageBreaker answers 503 at once meanwhile.
            # Seconds a request waits for a pooled connection: short, so an outage answers 503 fast.
            "POSTGRES_CONNECT_TIMEOUT": "2",
            "POSTGRES_LOCK_TIMEOUT": "10",
            # Followers read our notification log: keep ids in commit order (see STYLE.md).
            "POSTGRES_ENABLE_DB_FUNCTIONS": "",
        }
    Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": str(Path(settings.data_dir) / f"{service}.sqlite"),
        "SQLITE_LOCK_TIMEOUT": "10",
    }


@contextmanager
def startup_lock(settings: Settings, service: str) -> Iterator[None]:
    """Serialise table creation between replicas starting at the same moment.

    PostgreSQL refuses concurrent ``CREATE ... IF NOT EXISTS`` of the same objects ("tuple
    concurrently updated"), so every process creating a service's tables holds an advisory lock
    named after the service's schema. SQLite needs nothing: one process per file.
    """
    if not settings.uses_postgres:
        yield
        return
    key = zlib.crc32(f"carecred:{schema_name(settings, service)}".encode())
    with psycopg.connect(**settings.postgres_params(), autocommit=True, connect_timeout=5) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (key,))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (key,))


def ensure_schema(settings: Settings, service: str) -> None:
    with psycopg.connect(**settings.postgres_params(), autocommit=True, connect_timeout=5) as conn:
        # An append-only role (docs/audit.md) may not create schemas: only create a missing one.
        if conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema_name(settings, service),)).fetchone():
            return
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema_name(settings, service))))


class StorageBreaker:
    """Fail fast while the database is known to be unreachable, instead of waiting on the pool.

    The library retries a failed call ten times and each try waits for a pooled connection;
    during an outage every request would hang for many seconds. After a connection-level
    failure, calls fail at once for ``cooldown`` seconds; the next call after that tries again.
    """

    def __init__(self, datastore: Any, cooldown: float = 1.0):
        self.cooldown = cooldown
        self._open_until = 0.0
        self._lock = threading.Lock()
        self._get_connection = datastore.get_connection
        datastore.get_connection = self.get_connection  # the recorders and ReadStore all go through it

    @contextmanager
    def get_connection(self) -> Iterator[Any]:
        if time.monotonic() < self._open_until:
            raise OperationalError("the database is unreachable (failed moments ago)")
        try:
            with self._get_connection() as conn:
                yield conn
        except (OperationalError, InterfaceError) as exc:
            if is_connection_failure(exc):
                with self._lock:
                    self._open_until = time.monotonic() + self.cooldown
            raise


def is_connection_failure(exc: BaseException) -> bool:
    """True for a lost or refused connection (or a pool timeout), not for an error the server reported."""
    cause = exc.__cause__ if isinstance(exc.__cause__, psycopg.Error) else exc
    if isinstance(cause, psycopg.InterfaceError):
        return True
    sqlstate = getattr(cause, "sqlstate", None)
    return sqlstate is None or sqlstate.startswith(("08", "57P"))


_TRANSIENT_SQLITE = {5, 6, 7, 9, 10, 13, 14}
"""SQLITE_BUSY, _LOCKED, _NOMEM, _INTERRUPT, _IOERR, _FULL, _CANTOPEN: the database, not the statement."""
_TRANSIENT_POSTGRES = ("08", "40", "53", "55", "57", "58", "XX")
"""SQLSTATE classes of a lost connection, a rolled-back transaction (deadlock, serialisation), insufficient
resources, a lock not available, an operator's intervention, a system error."""


def is_transient(exc: BaseException) -> bool:
    """True when the same work may succeed if tried again later: the database is down, busy, locked or full.

    False for an error the work causes every time it is tried: a constraint it breaks, a value a
    column cannot hold (NUL in PostgreSQL text, an index row too large), a statement that is
    wrong, or a plain bug in Python. The projector stalls a read model on those, never on these.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, sqlite3.Error):
            code = getattr(current, "sqlite_errorcode", None)
            if isinstance(current, sqlite3.ProgrammingError) and "closed" in str(current):
                return True  # the pool was closed under us (shutting down)
            return code is not None and code & 0xFF in _TRANSIENT_SQLITE
        if isinstance(current, psycopg.Error):
            if current.sqlstate is None:  # raised by the client: a lost connection, or a value it cannot send
                return isinstance(current, (psycopg.OperationalError, psycopg.InterfaceError))
            return current.sqlstate[:2] in _TRANSIENT_POSTGRES
        current = current.__cause__
    if isinstance(exc, ProgrammingError) and "closed" in str(exc):
        return True
    return isinstance(exc, (OperationalError, InterfaceError))  # the library's own, e.g. StorageBreaker's


def postgres_text(value: Any) -> Any:
    """A value PostgreSQL can hold: NUL (U+0000), which no PostgreSQL text can contain, becomes U+FFFD.

    Events recorded before the boundary refused NUL may hold it; SQLite keeps it as it is. Applied
    to every parameter of read-model SQL on PostgreSQL, so rows and the queries that look them up
    agree, and no projection fails on such an event.
    """
    if value.__class__ is str and "\x00" in value:
        return value.replace("\x00", "\ufffd")
    return value


_SEARCH_PATHS: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()
"""The schema each pooled PostgreSQL connection's ``search_path`` names: one pool may serve two read
stores (a replay's tables are in a schema of their own), so each sets it again when it differs."""


class ReadStore:
    """Read-model tables in the same database as the events, through the library's own pool.

    On PostgreSQL each pooled connection gets the service's schema as its ``search_path`` when
    the read store uses it and the path names another schema (the event recorders qualify their
    own table names). A single query runs without BEGIN/COMMIT (the connections are in
    autocommit): one round trip.
    """

    def __init__(self, datastore: Any, postgres_schema: str | None):
        self.datastore = datastore
        self.postgres_schema = postgres_schema
        self._search_path = (
            sql.SQL("SET search_path TO {}").format(sql.Identifier(postgres_schema)) if postgres_schema else None
        )

    @property
    def is_postgres(self) -> bool:
        return self.postgres_schema is not None

    @contextmanager
    def _postgres_connection(self) -> Iterator[Any]:
        with self.datastore.get_connection() as conn:
            if _SEARCH_PATHS.get(conn) != self.postgres_schema:
                conn.execute(self._search_path)  # outside any transaction, so it lasts the session
                _SEARCH_PATHS[conn] = self.postgres_schema  # type: ignore[assignment]
            yield conn

    @contextmanager
    def transaction(self, *, commit: bool) -> Iterator[Cursor]:
        if self.postgres_schema is None:
            with self.datastore.transaction(commit=commit) as curs:
                yield Cursor(curs, False)
            return
        with self._postgres_connection() as conn, conn.transaction(force_rollback=not commit):
            yield Cursor(conn.cursor(), True)

    def query(self, statement: str, params: Sequence[Any] = ()) -> list[Any]:
        if self.postgres_schema is None:
            with self.transaction(commit=False) as cur:
                return cur.fetchall(statement, params)
        with self._postgres_connection() as conn:
            return Cursor(conn.cursor(), True).fetchall(statement, params)

    def query_one(self, statement: str, params: Sequence[Any] = ()) -> Any:
        rows = self.query(statement, params)
        return rows[0] if rows else None


class Cursor:
    """A cursor that takes ``?`` placeholders on either database."""

    def __init__(self, raw: Any, is_postgres: bool):
        self.raw = raw
        self.is_postgres = is_postgres
        self.memo: dict[str, Any] = {}
        """Scratch space that lives as long as this transaction (projections cache state here)."""

    def _sql(self, statement: str) -> str:
        return statement.replace("?", "%s") if self.is_postgres else statement

    def execute(self, statement: str, params: Sequence[Any] = ()) -> None:
        if self.is_postgres:
            self.raw.execute(self._sql(statement), tuple(map(postgres_text, params)))
        else:
            self.raw.execute(statement, tuple(params))

    def executemany(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        if self.is_postgres:
            self.raw.executemany(self._sql(statement), [tuple(map(postgres_text, r)) for r in rows])
        else:
            self.raw.executemany(statement, [tuple(r) for r in rows])

    def insert_rows(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """Insert many rows into a table: on PostgreSQL with ``COPY`` (one stream, no statement per row),
        except inside ``sent_together``, where COPY cannot run, and on SQLite: one ``executemany``."""
        if not rows:
            return
        if self.is_postgres and self.raw.connection.pgconn.pipeline_status == psycopg.pq.PipelineStatus.OFF:
            statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
                sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns)))
            with self.raw.copy(statement) as copy:
                for row in rows:
                    copy.write_row(tuple(map(postgres_text, row)))
            return
        self.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})", rows)

    @contextmanager
    def sent_together(self) -> Iterator[None]:
        """The statements run inside go to PostgreSQL in one pipeline: one round trip where each was one.

        They still run in order, and a read inside waits for everything sent before it. An error
        is raised at the latest when the block ends, inside the enclosing transaction (which then
        rolls back as it would have). On SQLite, which has no round trips, nothing changes.
        """
        if not self.is_postgres:
            yield
            return
        with self.raw.connection.pipeline():
            yield

    def savepoint(self) -> None:
        """Mark where ``rollback_to_savepoint`` returns to, within this transaction."""
        self.raw.execute("SAVEPOINT carecred_projection")

    def release_savepoint(self) -> None:
        self.raw.execute("RELEASE SAVEPOINT carecred_projection")

    def rollback_to_savepoint(self) -> None:
        """Undo what was done since ``savepoint`` (also after a failed statement) and drop the mark."""
        self.raw.execute("ROLLBACK TO SAVEPOINT carecred_projection")
        self.raw.execute("RELEASE SAVEPOINT carecred_projection")

    def fetchall(self, statement: str, params: Sequence[Any] = ()) -> list[Any]:
        self.execute(statement, params)
        return list(self.raw.fetchall())

    def fetchone(self, statement: str, params: Sequence[Any] = ()) -> Any:
        self.execute(statement, params)
        return self.raw.fetchone()


IN_LIST_SIZE = 500
"""The most values one ``IN (...)`` list carries (far below SQLite's 32,766 and PostgreSQL's 65,535 parameters)."""


def query_in(query: Callable[[str, Sequence[Any]], list[Any]], statement: str, values: Iterable[Any], *,
             before: Sequence[Any] = (), after: Sequence[Any] = (), size: int = IN_LIST_SIZE) -> list[Any]:
    """The rows of ``statement`` for the distinct ``values``, one query per ``size`` of them.

    ``statement`` holds ``{marks}`` where the list goes (``... WHERE staff_id IN ({marks})``); its
    other parameters are ``before`` and ``after`` the list. ``query`` is ``ReadStore.query`` or
    ``Cursor.fetchall``. The values are asked in sorted order; within a chunk rows come in the
    statement's order, so a value's rows keep that order (each value is in one chunk).
    """
    unique = sorted(set(values))
    rows: list[Any] = []
    for start in range(0, len(unique), size):
        chunk = unique[start:start + size]
        rows += query(statement.replace("{marks}", ", ".join("?" * len(chunk))), [*before, *chunk, *after])
    return rows
