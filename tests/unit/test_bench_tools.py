"""The benchmarks' own tools: the lean load-generator client, the percentile arithmetic, the textbook peer."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
import time
import uuid
from urllib.parse import urlsplit

import psycopg
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from litestar.testing import TestClient
from psycopg import sql

from bench.common import percentile
from bench.loadclient import LeanConnection
from bench.peer import create_app
from contracts.badges import BadgeCertificate, HolderView
from services.credential.badges import claims, cose, transport
from tests.conftest import TEST_DATABASE_URL, drop_schemas, require_postgres


async def serve(answers: list[bytes]) -> tuple[asyncio.Server, list[bytes]]:
    """A server that records each request's head and body and sends the next canned answer."""
    received: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for answer in answers:
            head = await reader.readuntil(b"\r\n\r\n")
            length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), 0)
            received.append(head + await reader.readexactly(length))
            writer.write(answer)
            await writer.drain()
        writer.close()

    return await asyncio.start_server(handle, "127.0.0.1", 0), received


def test_requests_go_out_whole_on_one_connection_and_answers_come_back():
    async def story() -> None:
        server, received = await serve([
            b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"id\": \"a\"}",
            b"HTTP/1.1 409 Conflict\r\ncontent-length: 0\r\n\r\n",
        ])
        port = server.sockets[0].getsockname()[1]
        async with LeanConnection(f"http://127.0.0.1:{port}", "cc_token") as conn:
            assert await conn.request("POST", "/v1/x", {"event_id": "E1"}) == (201, b'{"id": "a"}')
            assert await conn.request("GET", "/v1/x") == (409, b"")
        server.close()
        first = received[0].decode()
        assert first.startswith("POST /v1/x HTTP/1.1\r\n")
        assert "Authorization: Bearer cc_token\r\n" in first and "Content-Type: application/json\r\n" in first
        assert first.endswith('\r\n\r\n{"event_id": "E1"}')
        assert received[1].decode().startswith("GET /v1/x HTTP/1.1\r\n")

    asyncio.run(story())


def test_a_chunked_answer_is_refused_rather_than_misread():
    async def story() -> None:
        server, _ = await serve([b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"])
        port = server.sockets[0].getsockname()[1]
        async with LeanConnection(f"http://127.0.0.1:{port}") as conn:
            with pytest.raises(ValueError, match="chunked"):
                await conn.request("GET", "/")
        server.close()

    asyncio.run(story())


def test_percentiles_are_nearest_rank():
    values = [i / 1000 for i in range(1, 101)]  # 1..100 ms
    assert percentile(values, 50) == 0.05
    assert percentile(values, 99) == 0.099
    assert percentile([], 99) == 0.0


def peer_badge(key, *, status_index: int, expires_in: int) -> str:
    """A badge as the credential service encodes it (its own claims, COSE and transport code)."""
    now = int(time.time())
    holder = HolderView(badge_id="", staff_id=str(uuid.uuid4()), name="李娜", nursery_id=None,
                        nursery_name="朱泾镇阳光托育园", roles=["infant_caregiver"],
                        certificates=[BadgeCertificate(type="health", number="JK-1", expires_on=dt.date(2030, 1, 1))])
    payload = claims.encode(claims.BadgeClaims(issuer="CN-SH-JS", issued_at=now, expires_at=now + expires_in,
                                               holder=holder, status_index=status_index))
    public = key.public_key()
    return transport.wrap(cose.sign1(payload, key, cose.key_id(public), cose.ES256))


def test_the_textbook_peer_records_a_completion_and_verifies_badges_on_postgres():
    require_postgres()
    url = urlsplit(TEST_DATABASE_URL)
    schema = f"t{uuid.uuid4().hex[:10]}_peer"
    trusted, stranger = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    env = {"PERSISTENCE_MODULE": "eventsourcing.postgres", "POSTGRES_DBNAME": url.path.lstrip("/"),
           "POSTGRES_HOST": url.hostname or "127.0.0.1", "POSTGRES_PORT": str(url.port or 5432),
           "POSTGRES_USER": url.username or "postgres", "POSTGRES_PASSWORD": url.password or "",
           "POSTGRES_SCHEMA": schema, "CREATE_TABLE": "y",
           "PEER_TRUST_KEYS": json.dumps({cose.key_id(trusted.public_key()).hex(): base64.b64encode(
               cose.public_key_der(trusted.public_key())).decode()})}
    try:
        with TestClient(create_app(env)) as client:
            posted = client.post("/completions", json={
                "event_id": "E-1", "staff_id": str(uuid.uuid4()), "course_code": "SK01",
                "completed_at": "2025-06-30T14:00:00+08:00", "class_hours": 8.0})
            assert posted.status_code == 201
            with psycopg.connect(TEST_DATABASE_URL, autocommit=True) as conn:
                stored = conn.execute(sql.SQL("SELECT originator_id, topic FROM {}").format(
                    sql.Identifier(schema, "completions_events"))).fetchall()
                conn.execute(sql.SQL("INSERT INTO {} VALUES (7, false), (8, true)").format(
                    sql.Identifier(schema, "badge_status")))
            assert [(str(r[0]), r[1]) for r in stored] == [(posted.json()["id"], "bench.peer:Completion.Recorded")]

            def verdict(text: str) -> str:
                answer = client.post("/verify", json={"qr": text})
                assert answer.status_code == 200
                return answer.json()["verdict"]

            assert verdict(peer_badge(trusted, status_index=7, expires_in=3600)) == "valid"
            assert verdict(peer_badge(trusted, status_index=8, expires_in=3600)) == "revoked"
            assert verdict(peer_badge(trusted, status_index=9, expires_in=3600)) == "status_unknown"
            assert verdict(peer_badge(trusted, status_index=7, expires_in=-60)) == "expired"
            assert verdict(peer_badge(stranger, status_index=7, expires_in=3600)) == "unknown_key"
            forged = peer_badge(trusted, status_index=7, expires_in=3600)
            message = bytearray(transport.unwrap(forged))
            message[-1] ^= 1  # the last byte of the signature
            assert verdict(transport.wrap(bytes(message))) == "invalid_signature"
            assert client.post("/verify", json={"qr": "TY1:not base45!"}).status_code == 400
    finally:
        drop_schemas(schema)


def test_phase_timers_count_each_phase_once_and_leave_nested_phases_to_themselves():
    """Each call lands in its own phase (nested ones too); coroutines are timed step by step; unwrapping restores."""
    from bench.phases import Phases

    class Work:
        def outer(self) -> int:
            return self.inner() + 1

        def inner(self) -> int:
            return sum(range(1000))

        async def hook(self) -> int:
            await asyncio.sleep(0)
            return self.inner()

    original = Work.outer
    phases = Phases()
    phases.wrap(Work, "outer", "outer")
    phases.wrap(Work, "inner", "inner")
    phases.wrap(Work, "hook", "hook")
    assert Work().outer() == sum(range(1000)) + 1
    assert asyncio.run(Work().hook()) == sum(range(1000))
    assert phases.totals["outer"].calls == 1
    assert phases.totals["inner"].calls == 2
    assert phases.totals["hook"].calls == 2  # two steps: before the await and after it
    phases.uninstall()
    assert Work.outer is original


def test_round_trips_are_counted_where_psycopg_waits_on_the_server():
    require_postgres()
    from bench.phases import Phases

    phases = Phases()
    phases.install()
    try:
        with psycopg.connect(TEST_DATABASE_URL, autocommit=True) as conn:
            phases.reset()
            conn.execute("SELECT 1").fetchall()
            conn.execute("SELECT 2").fetchall()
            conn.commit()  # nothing to commit in autocommit: no round trip
            trips = phases.round_trips()
    finally:
        phases.uninstall()
    assert trips == 2


def test_statements_are_counted_by_their_text_and_the_methods_put_back():
    require_postgres()
    from bench.phases import Phases

    raw = (psycopg.Cursor.execute, psycopg.Cursor.executemany, psycopg.Connection.wait)
    phases = Phases()
    phases.count_statements()
    try:
        with psycopg.connect(TEST_DATABASE_URL, autocommit=True) as conn:
            conn.execute("SELECT   1").fetchall()
            conn.execute("SELECT 1").fetchall()
            with conn.cursor() as cur:
                cur.executemany("SELECT %s", [(1,), (2,)])
            counted = dict(phases.statements or {})
    finally:
        phases.uninstall()
    assert counted["SELECT 1"] == 2  # white space folded: one statement
    assert counted["executemany: SELECT %s"] == 1
    assert any(key.startswith("wait: ") for key in counted)
    assert (psycopg.Cursor.execute, psycopg.Cursor.executemany, psycopg.Connection.wait) == raw


def test_the_wait_sampler_counts_one_applications_lock_waits_and_open_transactions_on_postgres():
    """Two sessions of one application: one holds a table lock in an open transaction, the other waits for it."""
    require_postgres()
    import threading

    from bench.common import WaitSampler, describe_wait

    prefix = f"t{uuid.uuid4().hex[:10]}_"
    name = f"{prefix}sampled"
    table = sql.Identifier(f"{prefix}waits", "events")
    lock = sql.SQL("LOCK TABLE {} IN EXCLUSIVE MODE").format(table)
    sampler = WaitSampler(name, strip=prefix)
    with psycopg.connect(TEST_DATABASE_URL, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(f"{prefix}waits")))
        admin.execute(sql.SQL("CREATE TABLE {} (n int)").format(table))
    try:
        with psycopg.connect(TEST_DATABASE_URL, application_name=name) as holder, \
                psycopg.connect(TEST_DATABASE_URL, application_name=name, autocommit=True) as idle, \
                psycopg.connect(TEST_DATABASE_URL, application_name="someone else", autocommit=True), \
                psycopg.connect(TEST_DATABASE_URL, autocommit=True) as looker:
            idle.execute("SELECT 1")
            holder.execute(lock)  # the transaction stays open: idle in transaction, holding the lock
            with psycopg.connect(TEST_DATABASE_URL, application_name=name) as waiter:
                blocked = threading.Thread(target=lambda: (waiter.execute(lock), waiter.commit()))
                blocked.start()
                for _ in range(200):  # until the server shows it waiting (not a timing assertion: a bounded poll)
                    if looker.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s "
                                      "AND wait_event_type = 'Lock'", (name,)).fetchone()[0]:
                        break
                    time.sleep(0.05)
                sampler.sample(looker)
                sampler.sample(looker)
                holder.commit()
                blocked.join(timeout=30)
        statement = 'LOCK TABLE "waits"."events" IN EXCLUSIVE MODE'
        summary = {(r["state"], r["wait"], r["statement"]): r["sessions"] for r in sampler.summary()}
        assert summary == {
            ("active", "Lock:relation", statement): 1.0,
            ("idle in transaction", "Client:ClientRead", statement): 1.0,
            ("idle", "Client:ClientRead", ""): 1.0,
        }
        assert sampler.samples == 2
        assert sampler.totals() == {"sessions": 3.0, "lock": 1.0, "idle in transaction": 1.0, "active": 1.0,
                                    "idle": 1.0}
        words = {r["state"]: describe_wait(r) for r in sampler.summary()}
        assert words["active"] == f"1.0 waiting on Lock:relation in \"{statement}\""
        assert words["idle in transaction"].endswith(f"after \"{statement}\"")
        assert words["idle"] == "1.0 idle in the pool"
    finally:
        drop_schemas(prefix)


def test_the_wait_sampler_samples_in_its_own_thread_while_entered():
    require_postgres()
    from bench.common import WaitSampler

    with WaitSampler("nobody-has-this-name", url=TEST_DATABASE_URL) as sampler:
        for _ in range(200):  # a bounded poll for the first sample
            if sampler.samples:
                break
            time.sleep(0.05)
    taken = sampler.samples
    assert taken >= 1 and sampler.error is None and sampler.summary() == []
    time.sleep(0.2)
    assert sampler.samples == taken  # stopped on exit


def test_the_wal_window_counts_the_commits_and_index_bytes_written_while_it_was_open():
    """Ten transactions of one row each into an indexed table: ten commits, index and row records, per row."""
    require_postgres()
    from bench.common import WalWindow

    prefix = f"t{uuid.uuid4().hex[:10]}_"
    table = sql.Identifier(f"{prefix}wal", "events")
    with psycopg.connect(TEST_DATABASE_URL, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_walinspect'").fetchone():
            pytest.skip("this PostgreSQL has no pg_walinspect (PostgreSQL's contrib): the benchmarks show '—'")
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(f"{prefix}wal")))
        conn.execute(sql.SQL("CREATE TABLE {} (id uuid PRIMARY KEY, body text)").format(table))
        try:
            with WalWindow(TEST_DATABASE_URL) as one_by_one:
                for _ in range(10):
                    conn.execute(sql.SQL("INSERT INTO {} VALUES (%s, 'x')").format(table), (uuid.uuid4(),))
            with WalWindow(TEST_DATABASE_URL) as together, conn.transaction():
                for _ in range(10):
                    conn.execute(sql.SQL("INSERT INTO {} VALUES (%s, 'x')").format(table), (uuid.uuid4(),))
        finally:
            drop_schemas(prefix)
    alone, grouped = one_by_one.per(10), together.per(10)
    assert one_by_one.error is None and alone is not None and grouped is not None
    assert alone["commits"] >= 1.0 and grouped["commits"] <= 0.2  # a commit per row, then one for all ten
    assert alone["btree_bytes"] > 0 and alone["heap_bytes"] > 0
    assert alone["wal_bytes"] >= alone["btree_bytes"] + alone["heap_bytes"]
    assert one_by_one.per(0) is None


def test_without_pg_walinspect_the_wal_window_says_why_and_gives_no_figures():
    require_postgres()
    from bench.common import WalWindow

    with WalWindow("postgresql://postgres@127.0.0.1:5432/no_such_database_here") as window:
        pass
    assert window.error and window.per(10) is None


def _run(per_s: float, service: float, postgres: float, machine: float, lock: float = 0.0, open_tx: float = 0.0):
    waits = [{"state": "active", "wait": "Lock:relation", "statement": "LOCK TABLE x", "sessions": lock},
             {"state": "idle in transaction", "wait": "Client:ClientRead", "statement": "BEGIN", "sessions": open_tx}]
    return {"per_s": per_s, "cpu_ms": 4.0, "wait_samples": 80, "waits": waits,
            "cpu_cores": {"service": service, "postgres": postgres, "machine": machine, "of": 2},
            "wait_totals": {"sessions": 16.0, "lock": lock, "idle in transaction": open_tx, "active": lock,
                            "idle": 16.0 - lock - open_tx}}


def test_the_two_workers_goal_is_met_only_at_every_size_and_explained_from_the_runs_figures():
    from bench.completions_http import workers_goal

    rows = [{"size": 10_000, "service": {1: _run(100, 0.8, 0.3, 1.1), 2: _run(150, 1.2, 0.4, 1.6)},
             "peer": {1: _run(300, 0.9, 0.5, 1.4), 2: _run(390, 1.1, 0.6, 1.7)}},
            {"size": 100_000, "service": {1: _run(100, 0.8, 0.3, 1.1), 2: _run(110, 0.9, 0.4, 1.3, 2.5, 1.5)},
             "peer": None}]
    measured, met, why = workers_goal("postgres", rows)
    assert not met
    assert measured == "1.5 at 10,000 (100 → 150/s); 1.1 at 100,000 (100 → 110/s); the peer 1.3"
    assert why.startswith("Measured in this run, at 100,000 events (the size with the smallest gain, 1.1×)")
    assert "0.7 of a core idle" in why and "waiting on a lock 0.0 → 2.5" in why
    assert "Writers queued on locks" in why and "Transactions stayed open" in why
    assert "kept 1.1 cores busy for 100/s" in why and "allow at most 1.82× that rate, however many workers." in why
    assert "2.5 waiting on Lock:relation" in why

    full = [{"size": 10_000, "service": {1: _run(100, 0.8, 0.3, 1.9), 2: _run(105, 1.0, 0.5, 1.95)}, "peer": None}]
    measured, met, why = workers_goal("sqlite", [{**full[0], "service": {
        k: {**v, "wait_totals": None, "waits": None} for k, v in full[0]["service"].items()}}])
    assert not met and "cores were full" in why and "No session sampling" in why
    assert "allow at most 1.82× that rate" in why  # 0.8 + 0.3 cores of 2

    busy = [{"size": 10_000, "service": {1: _run(100, 1.2, 0.4, 1.7), 2: _run(105, 1.4, 0.5, 1.95)}, "peer": None}]
    assert "at most 1.25× that rate, however many workers, below the goal's 1.4×" in workers_goal("postgres", busy)[2]

    measured, met, why = workers_goal("postgres", rows[:1])
    assert met and why == "" and measured.startswith("1.5 at 10,000")


def test_the_two_workers_explanation_says_how_many_completions_shared_a_commit_when_the_log_was_read():
    from bench.completions_http import workers_goal

    one, two = _run(100, 0.8, 0.3, 1.1), _run(104, 0.9, 0.5, 1.5)
    halved = [{"size": 10_000, "service": {1: {**one, "wal": {"commits": 0.1}}, 2: {**two, "wal": {"commits": 0.2}}},
               "peer": None}]
    assert "recorded 0.1 commits per completion with one worker and 0.2 with two" in workers_goal("postgres", halved)[2]
    assert "carried 0.5× as many" not in workers_goal("postgres", halved)[2]
    assert "carried 2.0× as many completions each with one worker" in workers_goal("postgres", halved)[2]
    same = [{**halved[0], "service": {1: {**one, "wal": {"commits": 0.1}}, 2: {**two, "wal": {"commits": 0.1}}}}]
    assert "group size does not explain" in workers_goal("postgres", same)[2]
    unread = [{**halved[0], "service": {1: {**one, "wal": None}, 2: {**two, "wal": None}}}]
    assert "commits per completion" not in workers_goal("postgres", unread)[2]


def test_bulk_slowing_is_explained_by_whole_pages_when_they_are_what_the_log_grew_by():
    from bench.completions_bulk import slows

    def at(size, per_s, pg_ms, wal, fpi):
        return {"log_events_before": size, "items_per_s": per_s, "service_cpu_ms_per_item": 0.15,
                "postgres_cpu_ms_per_item": pg_ms,
                "wal_per_item": {"wal_bytes": wal, "fpi_bytes": fpi, "btree_bytes": 300, "heap_bytes": 500}}

    why = slows([at(10_000, 4_600, 0.07, 1_200, 100), at(1_000_000, 2_600, 0.28, 5_200, 3_900)])
    assert "PostgreSQL's CPU per item (+0.210 ms)" in why
    assert "from 1,200 to 5,200 bytes; of them full-page images from 100 to 3,900" in why
    assert "Most of the growth is whole pages" in why
    rows_grew = slows([at(10_000, 4_600, 0.07, 1_200, 100), at(1_000_000, 2_600, 0.28, 5_200, 200)])
    assert "Most of the growth is whole pages" not in rows_grew


def test_the_summary_lists_every_goal_of_each_results_file(tmp_path, monkeypatch):
    """run_all --summary-only reads each file's goals as written, the two-workers goal included."""
    import argparse

    from bench import run_all

    goals = [{"what": "postgres: ratio to raw INSERTs (1 worker, 1,000,000 events)", "target": ">= 0.1",
              "measured": "0.031 (137 vs 4,467/s)", "met": False, "explanation": "why"},
             {"what": "postgres: two uvicorn workers vs one (completions/s, each log size)", "target": ">= 1.4×",
              "measured": "1.5 at 10,000 (100 → 150/s)", "met": True, "explanation": ""}]
    (tmp_path / "completions_http.json").write_text(json.dumps({
        "started": "2026-12-01T13:00:00+00:00", "goals": goals,
        "machine": {"commit": "unknown", "cpu_model": "CPU", "cpus": 2, "loadavg_at_start": [0.5]}}))
    monkeypatch.setattr(run_all, "RESULTS", tmp_path)
    run_all.summary({}, [], argparse.Namespace())
    written = (tmp_path / "SUMMARY.md").read_text()
    assert "| postgres: ratio to raw INSERTs (1 worker, 1,000,000 events) | >= 0.1 | 0.031 (137 vs 4,467/s) | **no** |" \
        in written
    assert "| postgres: two uvicorn workers vs one (completions/s, each log size) | >= 1.4× | " \
           "1.5 at 10,000 (100 → 150/s) | yes |" in written
