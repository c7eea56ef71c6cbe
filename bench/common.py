"""What every benchmark shares: settings, timing, percentiles, service processes, the results writer."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import math
import os
import platform
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from urllib.parse import unquote, urlsplit
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Awaitable, Callable, Iterable

import psycopg
from psycopg import sql

from shared.settings import Settings

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
PG_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")


# Command line ---------------------------------------------------------------------------------

def arguments(description: str, *, storages: Iterable[str] = ("postgres", "sqlite")) -> argparse.Namespace:
    """The options every benchmark takes: storage, scale (1 = a short run), seconds per measurement."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--storage", choices=[*storages, "both"], default="postgres")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply data sizes (10 = 10x the short run)")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each timed run")
    parser.add_argument("--no-write", action="store_true", help="print only; do not write bench/results/")
    args = parser.parse_args()
    args.storages = list(storages) if args.storage == "both" else [args.storage]
    return args


# Settings and databases -----------------------------------------------------------------------

@dataclass
class Storage:
    """One benchmark's own storage: a fresh schema prefix on PostgreSQL or a temporary SQLite folder."""

    kind: str
    data_dir: str = field(default_factory=lambda: tempfile.mkdtemp(prefix="carecred-bench-"))
    prefix: str = field(default_factory=lambda: f"bench_{os.getpid()}_{secrets.token_hex(3)}_")
    id_hash_key: str = field(default_factory=lambda: secrets.token_hex(32))
    checkpoint_key: str = field(default_factory=lambda: secrets.token_hex(32))

    def settings(self, **overrides: Any) -> Settings:
        values: dict[str, Any] = dict(
            data_dir=self.data_dir, storage=self.kind, id_hash_key=self.id_hash_key,
            checkpoint_key=self.checkpoint_key, auth_failures_per_minute=1_000_000, pg_pool_size=16,
        )
        if self.kind == "postgres":
            values.update(database_url=PG_URL, schema_prefix=self.prefix)
        values.update(overrides)
        return Settings(**values)

    def env(self) -> dict[str, str]:
        """The CARECRED_* environment of a service process over this storage."""
        s = self.settings()
        env = {
            **os.environ, "PYTHONPATH": str(REPO),
            "CARECRED_DATA_DIR": s.data_dir, "CARECRED_STORAGE": s.storage, "CARECRED_ID_HASH_KEY": s.id_hash_key,
            "CARECRED_CHECKPOINT_KEY": s.checkpoint_key, "CARECRED_AUTH_FAILURES_PER_MINUTE": "1000000",
            "CARECRED_PG_POOL_SIZE": "16",
        }
        if self.kind == "postgres":
            env.update(CARECRED_DATABASE_URL=PG_URL, CARECRED_SCHEMA_PREFIX=self.prefix)
        return env

    def peer_env(self, **extra: str) -> dict[str, str]:
        """The environment of the textbook peer (bench/peer.py): eventsourcing's own PostgreSQL settings."""
        url = urlsplit(PG_URL)
        return {
            **os.environ, "PYTHONPATH": str(REPO), "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": unquote(url.path.lstrip("/")), "POSTGRES_HOST": url.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(url.port or 5432), "POSTGRES_USER": unquote(url.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(url.password or ""), "POSTGRES_SCHEMA": self.schema("peer"),
            "POSTGRES_POOL_SIZE": "16", "CREATE_TABLE": "y", **extra,
        }

    def schema(self, service: str) -> str:
        return f"{self.prefix}{service}"

    def drop(self) -> None:
        """Remove everything this benchmark made (its schemas, its folder)."""
        if self.kind == "postgres":
            with psycopg.connect(PG_URL, autocommit=True) as conn:
                names = [r[0] for r in conn.execute(
                    "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s", (self.prefix + "%",))]
                for name in names:
                    conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(name)))
        subprocess.run(["rm", "-rf", self.data_dir], check=False)


# Timing ----------------------------------------------------------------------------------------

def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) of the values; 0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(p / 100 * len(ordered))))  # the smallest rank covering p%
    return ordered[rank - 1]


def latency_summary(seconds: list[float]) -> dict[str, float]:
    """p50, p99 and max in milliseconds."""
    return {
        "p50_ms": round(percentile(seconds, 50) * 1000, 2),
        "p99_ms": round(percentile(seconds, 99) * 1000, 2),
        "max_ms": round(max(seconds, default=0) * 1000, 2),
    }


def rate(count: int, seconds: float) -> float:
    return round(count / seconds, 1) if seconds > 0 else 0.0


def ratio(ours: float, baseline: float) -> float:
    return round(ours / baseline, 3) if baseline else 0.0


async def closed_loop(
    clients: int, seconds: float, call: Callable[[int, int], Awaitable[None]], warmup: float = 1.0,
    split: CpuSplit | None = None, waits: WaitSampler | None = None, wal: WalWindow | None = None,
) -> tuple[int, float, list[float]]:
    """``clients`` tasks calling ``call(client, n)`` back to back; (calls, elapsed, latencies) after a warm-up.

    A ``split`` (and a ``waits`` sampler, a ``wal`` window) given is measured over the timed part only (after
    the warm-up).
    """
    latencies: list[float] = []
    counter = [0]
    measuring = [False]
    stop_at = [0.0]

    async def client(c: int) -> None:
        n = 0
        while True:
            now = time.perf_counter()
            if measuring[0] and now >= stop_at[0]:
                return
            await call(c, n)
            n += 1
            if measuring[0]:
                latencies.append(time.perf_counter() - now)
                counter[0] += 1

    async def clock() -> float:
        await asyncio.sleep(warmup)
        measuring[0] = True
        if split is not None:
            split.__enter__()
        if waits is not None:
            waits.__enter__()
        if wal is not None:
            wal.__enter__()
        started = time.perf_counter()
        stop_at[0] = started + seconds
        return started

    tasks = [asyncio.create_task(client(c)) for c in range(clients)]
    started = await clock()
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - started
    if split is not None:
        split.__exit__(None, None, None)
    if waits is not None:
        waits.__exit__(None, None, None)
    if wal is not None:
        wal.__exit__(None, None, None)
    return counter[0], elapsed, latencies


def _process_cpu(pid: int | str, children: bool = False) -> float:
    """CPU seconds (user + system) a process has used, from /proc; 0 if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return sum(int(f) for f in fields[11:13 + 2 * children]) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def _postgres_cpu() -> float:
    """CPU seconds used so far by the local PostgreSQL server's processes (0 where it is remote)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() in ("postgres", "postmaster"):
                    total += _process_cpu(entry.name, children=True)  # the postmaster holds ended backends
            except OSError:
                pass
    return total


def _machine_busy() -> float:
    """CPU seconds all cores spent busy so far (everything but idle and iowait), from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


class CpuSplit:
    """Where the machine's CPU went during a measurement: the service, the load generator, PostgreSQL.

    Used as ``with CpuSplit(server) as split: ...``; then ``split.cores()`` gives each share in cores
    (1.0 = one core busy for the whole run), so a result can show whether the service, its load
    generator or the database was the limit.
    """

    def __init__(self, server: ServiceProcess | None = None):
        self.server = server

    def _snapshot(self) -> dict[str, float]:
        return {
            "machine": _machine_busy(), "postgres": _postgres_cpu(), "load generator": _process_cpu(os.getpid()),
            "service": self.server.cpu_seconds() if self.server else 0.0,
        }

    def __enter__(self) -> CpuSplit:
        self._start, self._started = self._snapshot(), time.perf_counter()
        return self

    def __exit__(self, *exc: Any) -> None:
        end, self.seconds = self._snapshot(), time.perf_counter() - self._started
        self.used = {k: end[k] - self._start[k] for k in end}

    def cores(self) -> dict[str, float]:
        """Cores busy on average: each part, everything else on the machine, and the machine's total."""
        part = {k: round(v / self.seconds, 2) for k, v in self.used.items() if k != "machine"}
        machine = round(self.used["machine"] / self.seconds, 2)
        return {**part, "other": round(max(0.0, machine - sum(part.values())), 2), "machine": machine,
                "of": os.cpu_count() or 1}

    def describe(self) -> str:
        c = self.cores()
        return (f"{c['machine']}/{c['of']} cores busy: service {c['service']}, load generator {c['load generator']}, "
                f"PostgreSQL {c['postgres']}, other {c['other']}")


WAITS_QUERY = (
    "SELECT state, coalesce(wait_event_type || ':' || wait_event, 'CPU'), query FROM pg_stat_activity "
    "WHERE application_name = %s AND pid <> pg_backend_pid()"
)


class WaitSampler:
    """What one service process's PostgreSQL sessions were doing, from ``pg_stat_activity`` every 50 ms.

    Used like ``CpuSplit`` over a timed run (``closed_loop(..., waits=sampler)``): a thread of this process
    with its own connection reads the state, the wait event and the statement of every session whose
    ``application_name`` is the service's (``ServiceProcess`` sets ``PGAPPNAME``). ``summary()`` gives,
    for each (state, wait event, statement), how many of the service's sessions were in it on average:
    how many waited on a lock, on what statement, how many sat idle inside an open transaction while the
    service worked between two of its statements, how many ran. Statements are shown with the
    benchmark's schema prefix removed and cut to ``width`` characters.
    """

    def __init__(self, application_name: str, *, strip: str = "", interval: float = 0.05, width: int = 90,
                 url: str = PG_URL):
        self.application_name, self.strip, self.interval, self.width, self.url = (
            application_name, strip, interval, width, url)
        self.samples = 0
        self.counts: dict[tuple[str, str, str], int] = {}
        self.error: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._conn: psycopg.Connection[Any] | None = None

    def __enter__(self) -> WaitSampler:
        self._conn = psycopg.connect(self.url, autocommit=True, application_name="carecred-bench-wait-sampler")
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="wait-sampler", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._conn is not None:
            self._conn.close()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.sample()
            except psycopg.Error as exc:  # recorded, not raised: the run's figures stand without it
                self.error = str(exc)
                return

    def statement(self, query: str | None) -> str:
        text = " ".join((query or "").replace(self.strip, "").split() if self.strip else (query or "").split())
        return text if len(text) <= self.width else text[:self.width - 1] + "…"

    def sample(self, conn: psycopg.Connection[Any] | None = None) -> None:
        """One look at the sessions (on the sampler's connection, or on ``conn``)."""
        rows = (conn or self._conn).execute(WAITS_QUERY, (self.application_name,)).fetchall()  # type: ignore[union-attr]
        self.samples += 1
        for state, wait, query in rows:
            key = (state or "unknown", wait, "" if state == "idle" else self.statement(query))
            self.counts[key] = self.counts.get(key, 0) + 1

    def summary(self) -> list[dict[str, Any]]:
        """Each (state, wait, statement) seen, with the sessions in it on average over the samples, most first."""
        if not self.samples:
            return []
        rows = [{"state": state, "wait": wait, "statement": statement, "sessions": round(n / self.samples, 2)}
                for (state, wait, statement), n in self.counts.items()]
        return sorted(rows, key=lambda r: (-r["sessions"], r["state"], r["wait"], r["statement"]))

    def totals(self) -> dict[str, float]:
        """Sessions on average: in all, waiting on a lock, idle inside a transaction, running or waiting otherwise."""
        out = {"sessions": 0, "lock": 0, "idle in transaction": 0, "active": 0, "idle": 0}
        for (state, wait, _), n in self.counts.items():
            out["sessions"] += n
            if wait.startswith("Lock:"):
                out["lock"] += n
            if state in out:
                out[state] += n
        return {k: round(v / max(self.samples, 1), 2) for k, v in out.items()}


class WalWindow:
    """What PostgreSQL wrote to its write-ahead log during a run, read back with ``pg_walinspect``.

    The log position is noted on entering and on leaving; ``pg_get_wal_stats`` then counts the records
    between them by kind: commits (``Transaction/COMMIT``: one per transaction that wrote, so a group
    commit of many completions shows as fewer commits per completion), and the bytes each resource
    manager wrote (Btree for index entries, Heap for rows), full-page images included (``fpi_bytes``:
    the first change to a page after a checkpoint writes the whole page; a random-keyed index larger
    than ``shared_buffers`` dirties a new page with nearly every insert). The log is the cluster's, so
    the run must be the only writer (the benchmarks run one thing at a time). Without the extension
    (it ships with PostgreSQL's contrib), ``error`` says so and ``per`` gives None.
    """

    STATS = ('SELECT "resource_manager/record_type", count, record_size, fpi_size'
             " FROM pg_get_wal_stats(%s::pg_lsn, %s::pg_lsn, true) WHERE count > 0")

    def __init__(self, url: str = PG_URL):
        self.url = url
        self.start: str | None = None
        self.records: dict[str, tuple[int, int, int]] = {}
        """(count, record bytes, full-page image bytes) by resource manager/record type."""
        self.error: str | None = None

    def __enter__(self) -> WalWindow:
        try:
            with psycopg.connect(self.url, autocommit=True) as conn:
                conn.execute("CREATE EXTENSION IF NOT EXISTS pg_walinspect")
                self.start = str(conn.execute("SELECT pg_current_wal_insert_lsn()").fetchone()[0])  # type: ignore[index]
        except psycopg.Error as exc:
            self.error = str(exc).strip()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.start is None:
            return
        try:
            with psycopg.connect(self.url, autocommit=True) as conn:
                end = str(conn.execute("SELECT pg_current_wal_flush_lsn()").fetchone()[0])  # type: ignore[index]
                for kind, count, size, fpi in conn.execute(self.STATS, (self.start, end)):
                    self.records[kind] = (int(count), int(size), int(fpi))
        except psycopg.Error as exc:  # recorded, not raised: the run's figures stand without it
            self.error = str(exc).strip()

    def per(self, units: int) -> dict[str, float] | None:
        """Per unit of work (a completion, an item): commits, WAL bytes, of them full-page images, Btree, Heap."""
        if self.error is not None or self.start is None or units <= 0:
            return None
        def total(index: int, prefix: str = "") -> int:
            return sum(r[index] for kind, r in self.records.items() if kind.startswith(prefix))
        written = total(1) + total(2)
        return {
            "commits": round(self.records.get("Transaction/COMMIT", (0, 0, 0))[0] / units, 4),
            "wal_bytes": round(written / units, 1),
            "fpi_bytes": round(total(2) / units, 1),
            "btree_bytes": round((total(1, "Btree/") + total(2, "Btree/")) / units, 1),
            "heap_bytes": round(sum(total(1, p) + total(2, p) for p in ("Heap/", "Heap2/")) / units, 1),
        }


def describe_wait(row: dict[str, Any]) -> str:
    """One summary row in words: '2.4 waiting on Lock:relation in "LOCK TABLE ..."' (after: the last statement)."""
    if row["state"] == "idle":
        doing = "idle in the pool"
    elif row["state"] == "idle in transaction":
        doing = "idle inside an open transaction (waiting for the service's next statement)"
    elif row["wait"] == "CPU":
        doing = "running"
    elif row["wait"] == "Client:ClientRead":
        doing = "active, reading the service's next message (a pipeline in progress)"
    else:
        doing = f"waiting on {row['wait']}"
    where = "after" if row["state"] == "idle in transaction" else "in"
    return f"{row['sessions']} {doing}" + (f" {where} \"{row['statement']}\"" if row["statement"] else "")


def run_async(coroutine: Awaitable[Any]) -> Any:
    """Run a load generator's coroutine on uvloop (less client CPU on the shared cores), else asyncio."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)  # type: ignore[arg-type]
    return uvloop.run(coroutine)  # type: ignore[arg-type]


# Service processes ------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServiceProcess:
    """One service as a real uvicorn process (optionally several workers).

    ``peer`` is the textbook peer of bench/peer.py, run with the same uvicorn settings; ``env``
    adds to its environment (its trusted badge keys).
    """

    FACTORIES = {"credential": "services.credential.app:create_app", "training": "services.training.app:create_app",
                 "peer": "bench.peer:create_app"}

    def __init__(self, service: str, storage: Storage, *, workers: int = 1, env: dict[str, str] | None = None):
        self.service = service
        self.storage = storage
        self.workers = workers
        self.env = storage.peer_env(**(env or {})) if service == "peer" else storage.env()
        self.application_name = f"{storage.prefix}{service}"[:63]  # its PostgreSQL sessions', for WaitSampler
        self.env["PGAPPNAME"] = self.application_name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = Path(storage.data_dir) / f"{service}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> ServiceProcess:
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def start(self, timeout: float = 60) -> None:
        Path(self.storage.data_dir).mkdir(parents=True, exist_ok=True)
        out = self.log.open("ab")
        command = [sys.executable, "-m", "uvicorn", "--factory", self.FACTORIES[self.service], "--host", "127.0.0.1",
                   "--port", str(self.port), "--log-level", "warning", "--no-access-log"]
        if self.workers > 1:
            command += ["--workers", str(self.workers)]
        self.process = subprocess.Popen(command, env=self.env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.service} exited: {self.log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/ready", timeout=2):
                    return
            except OSError:
                time.sleep(0.2)
        raise TimeoutError(f"{self.service} not ready in {timeout}s")

    def pids(self) -> list[int]:
        """The server process and its worker processes."""
        if self.process is None:
            return []
        found = [self.process.pid]
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        if children.exists():
            found += [int(p) for p in children.read_text().split()]
        return found

    def rss_mb(self) -> float:
        """Resident memory of the server and its workers, in MiB."""
        total = 0
        for pid in self.pids():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            except OSError:
                pass
        return round(total / 1024, 1)

    def waits(self) -> WaitSampler | None:
        """A sampler of this process's PostgreSQL sessions (None on SQLite)."""
        if self.storage.kind != "postgres":
            return None
        return WaitSampler(self.application_name, strip=self.storage.prefix)

    def cpu_seconds(self) -> float:
        """CPU time (user + system) used so far by the server and its workers."""
        return sum(_process_cpu(pid) for pid in self.pids())

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


# Machine and versions ---------------------------------------------------------------------------

def machine() -> dict[str, Any]:
    """CPU count and model, memory, the versions that matter."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    try:
        with psycopg.connect(PG_URL, connect_timeout=3) as conn:
            postgres = conn.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]
            fsync = conn.execute("SHOW synchronous_commit").fetchone()[0]  # type: ignore[index]
    except psycopg.Error:
        postgres, fsync = "unavailable", ""
    versions = {"python": platform.python_version(), "postgres": postgres, "postgres_synchronous_commit": fsync,
                "sqlite": sqlite3.sqlite_version}
    for package in ("litestar", "eventsourcing", "psycopg", "msgspec", "uvicorn", "cryptography", "httpx"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "missing"
    return {
        "cpus": os.cpu_count(), "cpu_model": model, "memory": memory, "platform": platform.platform(),
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()], "versions": versions,
    }


def git_commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


# Results ----------------------------------------------------------------------------------------

@dataclass
class Table:
    """One printed and written table."""

    title: str
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)

    def add(self, *row: Any) -> None:
        self.rows.append(list(row))

    def markdown(self) -> str:
        lines = [f"### {self.title}", "", "| " + " | ".join(self.columns) + " |",
                 "|" + "---|" * len(self.columns)]
        lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in self.rows]
        return "\n".join(lines)

    def text(self) -> str:
        cells = [self.columns] + [[_cell(v) for v in row] for row in self.rows]
        widths = [max(len(str(r[i])) for r in cells) for i in range(len(self.columns))]
        lines = [self.title, "  ".join(str(c).ljust(w) for c, w in zip(self.columns, widths))]
        lines.append("  ".join("-" * w for w in widths))
        lines += ["  ".join(str(c).ljust(w) for c, w in zip(row, widths)) for row in cells[1:]]
        return "\n".join(lines)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


@dataclass
class Goal:
    """A goal from the issue, whether this run met it, and why not when it did not."""

    what: str
    target: str
    measured: str
    met: bool
    explanation: str = ""


@dataclass
class Report:
    """One benchmark's run: tables, goals, notes; printed and written to bench/results/."""

    name: str
    title: str
    args: dict[str, Any]
    tables: list[Table] = field(default_factory=list)
    goals: list[Goal] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    started: str = field(default_factory=lambda: dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))

    def table(self, title: str, columns: list[str]) -> Table:
        table = Table(title, columns)
        self.tables.append(table)
        return table

    def goal(self, what: str, target: str, measured: str, met: bool, explanation: str = "") -> None:
        self.goals.append(Goal(what, target, measured, met, explanation))

    def markdown(self, info: dict[str, Any]) -> str:
        v = info["versions"]
        lines = [
            f"## {self.title}", "",
            f"Run {self.started} on commit {info['commit']}: {info['cpus']} CPU ({info['cpu_model']}), "
            f"{info['memory']}, load average at start {info['loadavg_at_start']}.",
            f"Python {v['python']}, PostgreSQL {v['postgres']} (synchronous_commit={v['postgres_synchronous_commit']}), "
            f"SQLite {v['sqlite']}, litestar {v['litestar']}, eventsourcing {v['eventsourcing']}, psycopg {v['psycopg']}.",
            f"Options: {json.dumps(self.args)}", "",
        ]
        for table in self.tables:
            lines += [table.markdown(), ""]
        if self.goals:
            lines += ["### Goals", "", "| goal | target | measured | met |", "|---|---|---|---|"]
            lines += [f"| {g.what} | {g.target} | {g.measured} | {'yes' if g.met else '**no**'} |" for g in self.goals]
            lines.append("")
            for g in self.goals:
                if g.explanation:
                    lines += [f"- **{g.what}**: {g.explanation}"]
            lines.append("")
        if self.notes:
            lines += ["### Notes", ""] + [f"- {n}" for n in self.notes] + [""]
        return "\n".join(lines)

    def finish(self, write: bool = True) -> None:
        info = {**machine(), "commit": git_commit()}
        for table in self.tables:
            print()
            print(table.text())
        for g in self.goals:
            print(f"goal {g.what}: target {g.target}, measured {g.measured} -> {'met' if g.met else 'NOT met'}")
            if g.explanation and not write:  # a written run has them in its .md
                print(f"  why: {g.explanation}")
        if not write:
            return
        RESULTS.mkdir(parents=True, exist_ok=True)
        body = {
            "name": self.name, "title": self.title, "started": self.started, "machine": info, "args": self.args,
            "tables": [{"title": t.title, "columns": t.columns, "rows": t.rows} for t in self.tables],
            "goals": [g.__dict__ for g in self.goals], "notes": self.notes, "data": self.data,
        }
        (RESULTS / f"{self.name}.json").write_text(json.dumps(body, indent=2, ensure_ascii=False, default=str) + "\n")
        (RESULTS / f"{self.name}.md").write_text(self.markdown(info) + "\n")
        print(f"\nwrote {RESULTS / (self.name + '.json')} and .md")
