"""The fast tier's guard: any database connection opened during one of its tests fails that test.

SQLite is watched through Python's audit hook (``sqlite3.connect`` is an audited event, for a
file and for ``:memory:`` alike); PostgreSQL through psycopg's ``connect`` (the services' own
connections) and ``Connection.connect`` (which psycopg's pool, and so the event store library's
PostgreSQL module, goes through).
"""

from __future__ import annotations

import sys
from typing import Any, Iterator

import psycopg
import pytest


class DatabaseTouched(AssertionError):
    """A test of the in-memory tier opened a database connection."""


_guarding = False


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if _guarding and event == "sqlite3.connect":
        raise DatabaseTouched(f"the in-memory tier opened a SQLite database: {args[0]!r}")


sys.addaudithook(_audit)  # an audit hook cannot be removed: it is only armed while a fast test runs


def _refuse_postgres(*args: Any, **kwargs: Any) -> Any:
    raise DatabaseTouched("the in-memory tier opened a PostgreSQL connection")


@pytest.fixture(autouse=True)
def no_database(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    global _guarding
    monkeypatch.setattr(psycopg, "connect", _refuse_postgres)  # the module's alias of Connection.connect
    monkeypatch.setattr(psycopg.Connection, "connect", _refuse_postgres)
    monkeypatch.setattr(psycopg.AsyncConnection, "connect", _refuse_postgres)
    _guarding = True
    try:
        yield
    finally:
        _guarding = False
