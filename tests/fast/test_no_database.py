"""The tier keeps its promise: no SQLite file or memory database, no PostgreSQL connection."""

from __future__ import annotations

import sqlite3

import psycopg
import pytest
from eventsourcing.popo import POPOApplicationRecorder

from tests.fast.conftest import DatabaseTouched
from tests.fast.desks import CredentialDesk, TrainingDesk

pytestmark = pytest.mark.fast


def test_opening_a_sqlite_database_fails_the_test_that_does_it(tmp_path):
    with pytest.raises(DatabaseTouched):
        sqlite3.connect(":memory:")
    with pytest.raises(DatabaseTouched):
        sqlite3.connect(tmp_path / "credential.sqlite")
    assert not (tmp_path / "credential.sqlite").exists()


def test_opening_a_postgres_connection_fails_the_test_that_does_it():
    with pytest.raises(DatabaseTouched):
        psycopg.connect("postgresql://postgres@127.0.0.1:5432/test", connect_timeout=1)


def test_both_desks_keep_their_events_in_the_event_store_librarys_memory():
    for desk in (CredentialDesk(), TrainingDesk()):
        assert isinstance(desk.events.recorder, POPOApplicationRecorder)
