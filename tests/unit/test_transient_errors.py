"""Which failures stall a read model (the work's own fault) and which are tried again (the database's)."""

from __future__ import annotations

import sqlite3

import psycopg
import pytest
from eventsourcing.persistence import DataError, IntegrityError, OperationalError

from shared.persistence import is_transient, postgres_text


def sqlite_error(kind: type[sqlite3.Error], message: str, code: int) -> sqlite3.Error:
    error = kind(message)
    error.sqlite_errorcode = code  # type: ignore[attr-defined]
    return error


def wrapped(outer: type[Exception], inner: BaseException) -> Exception:
    """As the library raises them: its own error, caused by the driver's."""
    try:
        raise outer(str(inner)) from inner
    except outer as exc:
        return exc


@pytest.mark.parametrize(("error", "transient"), [
    (sqlite_error(sqlite3.OperationalError, "database is locked", 5), True),
    (sqlite_error(sqlite3.OperationalError, "database table is locked", 262), True),  # SQLITE_LOCKED_SHAREDCACHE
    (sqlite_error(sqlite3.OperationalError, "disk I/O error", 10), True),
    (sqlite_error(sqlite3.OperationalError, "no such table: badges", 1), False),
    (sqlite_error(sqlite3.IntegrityError, "UNIQUE constraint failed", 2067), False),
    (wrapped(IntegrityError, sqlite_error(sqlite3.IntegrityError, "UNIQUE constraint failed", 2067)), False),
    (psycopg.OperationalError("server closed the connection unexpectedly"), True),
    (psycopg.errors.LockNotAvailable(), True),
    (psycopg.errors.SerializationFailure(), True),
    (psycopg.errors.DiskFull(), True),
    (wrapped(OperationalError, psycopg.errors.AdminShutdown()), True),
    (psycopg.errors.UniqueViolation(), False),
    (psycopg.errors.ProgramLimitExceeded(), False),  # an index row too large: the same every time
    (wrapped(DataError, psycopg.DataError("PostgreSQL text fields cannot contain NUL (0x00) bytes")), False),
    (OperationalError("the database is unreachable (failed moments ago)"), True),
    (RuntimeError("a bug"), False),
    (KeyError("facts"), False),
])
def test_only_failures_of_the_database_itself_are_transient(error, transient):
    assert is_transient(error) is transient


def test_nul_becomes_the_replacement_character_and_nothing_else_changes():
    assert postgres_text("E2\x00\x00") == "E2\ufffd\ufffd"
    assert postgres_text("朱泾一托") == "朱泾一托"
    assert postgres_text(3) == 3 and postgres_text(None) is None and postgres_text(b"\x00") == b"\x00"
