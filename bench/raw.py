"""The raw baselines: what the same database does for the same rows with no service in between.

Each baseline writes rows shaped like the event store's (an originator id, a version, a topic
and a few hundred bytes of state, a notification id, the same primary key) into its own table
in the benchmark's own schema or file, and is measured in the same run as the service figure.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from bench.common import PG_URL, Storage

TOPIC = "carecred.training:Completion.Recorded.v1"
PG_TABLE = (
    "CREATE TABLE IF NOT EXISTS {} (originator_id uuid NOT NULL, originator_version bigint NOT NULL,"
    " topic text, state bytea, notification_id bigserial, PRIMARY KEY (originator_id, originator_version))"
)
SQLITE_TABLE = (
    "CREATE TABLE IF NOT EXISTS raw_events (originator_id TEXT NOT NULL, originator_version INTEGER NOT NULL,"
    " topic TEXT, state BLOB, notification_id INTEGER, PRIMARY KEY (originator_id, originator_version))"
)


def event_state(n: int) -> bytes:
    """About the size of a stored completion event."""
    return json.dumps({
        "provider_id": str(uuid.uuid5(uuid.NAMESPACE_URL, "p")), "event_id": f"RAW-{n:08d}",
        "staff_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"s{n}")), "course_id": str(uuid.uuid4()),
        "course_code": "SK01", "category": "skills", "half_hours": 16, "completed_at": "2025-06-30T14:00:00+08:00",
        "year": 2025, "replaces": None, "actor": {"key_id": "bench", "role": "provider", "scope": "x"},
        "timestamp": "2026-01-01T00:00:00.000000+00:00", "originator_version": 1,
    }).encode()


def _pg_table(storage: Storage) -> sql.Composed:
    schema = storage.schema("raw")
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
        table = sql.Identifier(schema, "raw_events")
        conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(table))
        conn.execute(sql.SQL(PG_TABLE).format(table))
    return sql.SQL("INSERT INTO {} (originator_id, originator_version, topic, state) VALUES (%s, 1, %s, %s)").format(
        sql.Identifier(schema, "raw_events"))


def _sqlite_path(storage: Storage) -> str:
    path = str(Path(storage.data_dir) / "raw.sqlite")
    if os.path.exists(path):
        os.remove(path)
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(SQLITE_TABLE)
    return path


def single_inserts(storage: Storage, *, clients: int, seconds: float) -> dict[str, Any]:
    """Single-row autocommit INSERTs from ``clients`` connections, back to back: the server's commit limit."""
    latencies: list[float] = []
    counts = [0] * clients
    stop = threading.Event()
    lock = threading.Lock()
    if storage.kind == "postgres":
        statement: Any = _pg_table(storage)
    else:
        path = _sqlite_path(storage)

    def client(c: int) -> None:
        mine: list[float] = []
        if storage.kind == "postgres":
            conn: Any = psycopg.connect(PG_URL, autocommit=True)
            insert = lambda n: conn.execute(statement, (uuid.uuid4(), TOPIC, event_state(n)))  # noqa: E731
        else:
            conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)

            def insert(n: int) -> None:
                conn.execute("INSERT INTO raw_events (originator_id, originator_version, topic, state) VALUES (?, 1, ?, ?)",
                             (str(uuid.uuid4()), TOPIC, event_state(n)))
        n = 0
        with conn:
            while not stop.is_set():
                started = time.perf_counter()
                insert(n)
                mine.append(time.perf_counter() - started)
                n += 1
        counts[c] = n
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    return {"rows": sum(counts), "seconds": elapsed, "latencies": latencies}


def executemany(storage: Storage, rows: list[tuple[Any, ...]]) -> float:
    """Seconds to insert ``rows`` (originator_id, topic, state) with one executemany in one transaction."""
    if storage.kind == "postgres":
        statement = _pg_table(storage)
        with psycopg.connect(PG_URL) as conn:
            started = time.perf_counter()
            with conn.cursor() as cur:
                cur.executemany(statement, rows)
            conn.commit()
            return time.perf_counter() - started
    path = _sqlite_path(storage)
    with sqlite3.connect(path) as conn:
        started = time.perf_counter()
        conn.executemany("INSERT INTO raw_events (originator_id, originator_version, topic, state) VALUES (?, 1, ?, ?)",
                         [(str(a), b, c) for a, b, c in rows])
        conn.commit()
        return time.perf_counter() - started


def scan_events(storage: Storage, service: str, table_name: str, *, page: int = 500) -> tuple[int, float]:
    """Read every stored event of ``service`` in notification order, a page at a time: (rows, seconds)."""
    started = time.perf_counter()
    count = 0
    if storage.kind == "postgres":
        table = sql.Identifier(storage.schema(service), table_name)
        query = sql.SQL("SELECT notification_id, originator_id, originator_version, topic, state FROM {}"
                        " WHERE notification_id > %s ORDER BY notification_id LIMIT %s").format(table)
        with psycopg.connect(PG_URL) as conn:
            last = 0
            while True:
                rows = conn.execute(query, (last, page)).fetchall()
                if not rows:
                    break
                count += len(rows)
                last = rows[-1][0]
    else:
        with sqlite3.connect(str(Path(storage.data_dir) / f"{service}.sqlite")) as conn:
            last = 0
            while True:
                rows = conn.execute(f"SELECT rowid, originator_id, originator_version, topic, state FROM {table_name}"
                                    " WHERE rowid > ? ORDER BY rowid LIMIT ?", (last, page)).fetchall()
                if not rows:
                    break
                count += len(rows)
                last = rows[-1][0]
    return count, time.perf_counter() - started
