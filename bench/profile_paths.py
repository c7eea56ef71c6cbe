"""Where each HTTP path's CPU goes, per request and by phase, driven in process on PostgreSQL.

    .venv/bin/python -m bench.profile_paths                       (every path; writes results/profile.md)
    .venv/bin/python -m bench.profile_paths --paths completion --requests 3000 --no-write
    .venv/bin/python -m bench.profile_paths --paths verify --cprofile 30   (also the 30 costliest functions)

Each path's ASGI app (the service's own ``create_app``) is called directly by 16 concurrent
clients on one event loop (uvloop), with no sockets and no HTTP parsing: the same handlers,
middleware, thread hand-offs and group commit as under uvicorn. ``bench/phases.py`` times each
phase on the thread that runs it (thread CPU time, so other processes on the machine do not
inflate it), exclusive of the phases it calls, and counts PostgreSQL round trips. The whole
process's CPU per request (``time.process_time``) less the phases and less the driver's own cost
(the same driver calling an app that answers at once, measured in the same run) is Litestar and
the rest of the framework. CPU per request resists a loaded machine; rates do not, so none are
reported here.

Paths: ``completion`` (POST a new single completion), ``verify`` (POST /v1/verify of a valid
badge), ``bulk`` (one POST of ``--bulk-items`` completions; per item).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import os
import pstats
import sys
import threading
import time
from typing import Any, Awaitable, Callable

from bench import generate
from bench.common import Report, Storage
from bench.phases import Phases

CLIENTS = 16
FRAMEWORK = "framework (Litestar routing, middleware, injection, thread hand-offs; the remainder)"


# Driving an ASGI app ---------------------------------------------------------------------------

class Request:
    """One pre-built HTTP request for an ASGI app."""

    def __init__(self, method: str, path: str, body: Any = None, token: str | None = None):
        self.body = json.dumps(body).encode() if body is not None else b""
        headers = [(b"host", b"bench"), (b"content-type", b"application/json"),
                   (b"content-length", str(len(self.body)).encode())]
        if token:
            headers.append((b"authorization", f"Bearer {token}".encode()))
        self.scope = {
            "type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"}, "http_version": "1.1",
            "method": method, "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
            "root_path": "", "headers": headers, "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000),
        }


async def call(app: Any, request: Request) -> tuple[int, bytes]:
    """Send one request to the app; its status and body."""
    sent = False
    status = 0
    chunks: list[bytes] = []
    never = asyncio.Event()

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": request.body, "more_body": False}
        await never.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(dict(request.scope, state={}), receive, send)
    return status, b"".join(chunks)


async def lifespan(app: Any, event: str, queue: asyncio.Queue[Any] | None = None) -> Any:
    """Run the app's startup (returns the queue to shut it down with) or its shutdown."""
    if event == "startup":
        inbox: asyncio.Queue[Any] = asyncio.Queue()
        outbox: asyncio.Queue[Any] = asyncio.Queue()
        task = asyncio.ensure_future(app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}},
                                         inbox.get, outbox.put))
        await inbox.put({"type": "lifespan.startup"})
        answer = await outbox.get()
        assert answer["type"] == "lifespan.startup.complete", answer
        return inbox, outbox, task
    inbox, outbox, task = queue  # type: ignore[misc]
    await inbox.put({"type": "lifespan.shutdown"})
    await outbox.get()
    await task


async def drive(app: Any, requests: Callable[[int], Request], count: int,
                check: Callable[[int, bytes], None]) -> float:
    """``count`` requests from 16 concurrent clients; the process CPU seconds they took."""
    done = 0

    async def client() -> None:
        nonlocal done
        while done < count:
            n = done
            done += 1
            status, body = await call(app, requests(n))
            check(status, body)

    started = time.process_time()
    await asyncio.gather(*(client() for _ in range(CLIENTS)))
    return time.process_time() - started


async def _null_app(scope: Any, receive: Any, send: Any) -> None:
    await receive()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": b"{}"})


def driver_cost(requests: Callable[[int], Request], count: int) -> float:
    """The driver's own CPU per request (an app that answers at once), in seconds."""
    spent = asyncio.run(drive(_null_app, requests, count, lambda s, b: None))
    return spent / count


# The paths --------------------------------------------------------------------------------------

class Path:
    """A path to profile: set up its data, build its app, make its requests, check each answer."""

    name = ""
    title = ""
    items_per_request = 1

    def __init__(self, storage: Storage, log_events: int):
        self.storage, self.log_events = storage, log_events

    def app(self) -> Any:
        raise NotImplementedError

    def request(self, n: int) -> Request:
        raise NotImplementedError

    def check(self, status: int, body: bytes) -> None:
        raise NotImplementedError


class Completion(Path):
    name = "completion"
    title = "POST /v1/providers/{id}/completions/ (one new completion)"

    def __init__(self, storage: Storage, log_events: int, requests: int):
        super().__init__(storage, log_events)
        from contracts.keys import Role
        from services.training.application import TrainingRecords
        records = TrainingRecords(storage.settings())
        self.world = generate.training_world(records, people=2_000)
        _, self.token = records.issue_key(role=Role.PROVIDER, scope=str(self.world.provider_id), name="profile",
                                          actor=generate.REGISTRAR)
        if log_events:
            generate.completions(records, self.world, log_events, prefix="pre")
        records.close()
        self.path = f"/v1/providers/{self.world.provider_id}/completions/"
        self.items = list(generate.completion_items(self.world, requests + 100, prefix=f"p{os.getpid()}"))

    def app(self) -> Any:
        from services.training.app import create_app
        return create_app(self.storage.settings())

    def request(self, n: int) -> Request:
        return Request("POST", self.path, self.items[n], self.token)

    def check(self, status: int, body: bytes) -> None:
        if status != 201:
            raise AssertionError(f"completion answered {status}: {body[:300]!r}")


class Bulk(Completion):
    name = "bulk"
    title = "POST /v1/providers/{id}/completions/bulk (per item)"

    def __init__(self, storage: Storage, log_events: int, requests: int, items: int):
        super().__init__(storage, log_events, requests * items)
        self.items_per_request = items

    def request(self, n: int) -> Request:
        size = self.items_per_request
        return Request("POST", self.path + "bulk", {"items": self.items[n * size:(n + 1) * size]}, self.token)

    def check(self, status: int, body: bytes) -> None:
        answer = json.loads(body)
        if status != 200 or answer.get("created") != self.items_per_request:
            raise AssertionError(f"bulk answered {status}: {body[:300]!r}")


class Verify(Path):
    name = "verify"
    title = "POST /v1/verify/ (a valid badge, no ID number)"

    def __init__(self, storage: Storage, log_events: int):
        super().__init__(storage, log_events)
        from bench.badges import issue_badge
        from contracts.keys import Role
        from services.credential.application import Credentials
        records = Credentials(storage.settings())
        self.text, _ = issue_badge(records)
        _, self.token = records.issue_key(role=Role.REGISTRAR, scope=None, name="profile", actor=generate.REGISTRAR)
        records.close()

    def app(self) -> Any:
        from services.credential.app import create_app
        return create_app(self.storage.settings())

    def request(self, n: int) -> Request:
        return Request("POST", "/v1/verify/", {"qr": self.text}, self.token)

    def check(self, status: int, body: bytes) -> None:
        if status != 200 or json.loads(body).get("verdict") != "valid":
            raise AssertionError(f"verify answered {status}: {body[:300]!r}")


# Measuring -------------------------------------------------------------------------------------

def _profile_threads(profiles: list[cProfile.Profile]) -> None:
    """Profile every thread started from now on in its own CPU time (each its own cProfile, merged at the end)."""
    def start(*_: Any) -> None:
        sys.setprofile(None)
        profile = cProfile.Profile(time.thread_time)
        profiles.append(profile)
        profile.enable()
    threading.setprofile(start)


def measure(path: Path, requests: int, *, cprofile: int = 0, statements: bool = False,
            callers: str = "") -> dict[str, Any]:
    """The path's phases per request (ms of CPU), its round trips and the framework's remainder."""
    phases = Phases()
    profiles: list[cProfile.Profile] = []
    if not cprofile:
        phases.install()
        if statements:
            phases.count_statements()
    else:
        _profile_threads(profiles)  # before any thread starts; cleared after the warm-up
    app = path.app()
    warm = max(50, requests // 10)

    async def run() -> float:
        queue = await lifespan(app, "startup")
        try:
            await drive(app, lambda n: path.request(requests + n), warm, path.check)  # warm: caches, pools, threads
            phases.reset()
            if cprofile:
                for p in profiles:
                    p.clear()
                main = cProfile.Profile(time.thread_time)
                profiles.append(main)
                main.enable()
            spent = await drive(app, path.request, requests, path.check)
            if cprofile:
                main.disable()
                threading.setprofile(None)  # type: ignore[arg-type]
            return spent
        finally:
            await lifespan(app, "shutdown", queue)

    try:
        import uvloop
        spent = uvloop.run(run())
    finally:
        phases.uninstall()
    driver = driver_cost(path.request, min(requests, 2_000))
    items = requests * path.items_per_request
    total_ms = (spent - driver * requests) / items * 1000
    result: dict[str, Any] = {"path": path.name, "title": path.title, "requests": requests, "items": items,
                              "log_events": path.log_events, "process_cpu_ms_per_item": round(total_ms, 3),
                              "driver_cpu_ms_per_request": round(driver * 1000, 3)}
    if cprofile:
        for p in profiles:
            p.disable()
        out = io.StringIO()
        stats = pstats.Stats(profiles[0], stream=out)
        for p in profiles[1:]:
            stats.add(p)
        stats.sort_stats("tottime").print_stats(cprofile)
        if callers:
            stats.print_callers(callers)
        result["cprofile"] = out.getvalue()
        return result
    rows = phases.per_request(items)
    measured = sum(r["cpu_ms"] for r in rows.values())
    rows[FRAMEWORK] = {"cpu_ms": total_ms - measured, "wall_ms": 0.0, "calls": 0.0}
    result["phases"] = {k: {kk: round(vv, 4) for kk, vv in v.items()} for k, v in rows.items()}
    result["round_trips_per_item"] = round(phases.round_trips() / items, 3)
    result["round_trips_by_phase"] = {k: round(v / items, 3) for k, v in
                                      sorted(phases.trips_by_caller.items(), key=lambda kv: -kv[1])}
    if phases.statements is not None:
        result["statements_per_item"] = {k: round(v / items, 3) for k, v in
                                         sorted(phases.statements.items(), key=lambda kv: -kv[1])}
    return result


def phase_rows(result: dict[str, Any]) -> list[list[Any]]:
    """The rows of a phase table: phase, CPU ms per request (per item for bulk), share, wall ms, calls."""
    total = result["process_cpu_ms_per_item"]
    trips = result.get("round_trips_by_phase", {})
    rows = []
    for phase, r in sorted(result["phases"].items(), key=lambda kv: -kv[1]["cpu_ms"]):
        rows.append([phase, round(r["cpu_ms"], 3), f"{r['cpu_ms'] / total:.0%}" if total else "—",
                     round(r["wall_ms"], 3) if r["wall_ms"] else "—", f"{r['calls']:.3g}" if r["calls"] else "—",
                     f"{trips[phase]:.3g}" if trips.get(phase) else "—"])
    rows.append(["whole request (process CPU less the driver)", round(total, 3), "100%", "—", "—",
                 f"{result['round_trips_per_item']:.3g}"])
    return rows


PHASE_COLUMNS = ["phase", "CPU ms", "share", "wall ms (inclusive)", "calls", "round trips it made"]


def add_phase_table(report: Report, result: dict[str, Any], heading: str | None = None) -> None:
    """Append a path's phase table to a benchmark's report (its results file carries the profile)."""
    unit = "per item" if result["items"] != result["requests"] else "per request"
    table = report.table(heading or (f"Where the CPU goes, {unit}: {result['title']}, in process on PostgreSQL, "
                                     f"{result['round_trips_per_item']} round trips {unit} "
                                     f"(bench/profile_paths.py, log of {result['log_events']:,} events)"),
                         PHASE_COLUMNS)
    for row in phase_rows(result):
        table.add(*row)
    report.notes.append(
        "The phase table is bench/profile_paths.py run in this benchmark's process after the timed runs: the "
        "service's own app driven in process by 16 concurrent clients on PostgreSQL, each phase's thread CPU "
        "exclusive of the phases it calls, round trips counted where psycopg waited on the server (see "
        "bench/results/profile.md for the method). When the header's load average is above the core count, the "
        "machine was shared with other work during this run: rates and p99 are then depressed and noisy; CPU per "
        "request and ratios measured in the same run hold better.")


def profile(path: str, *, requests: int, log_events: int = 0, bulk_items: int = 1_000) -> dict[str, Any]:
    """Profile one path on a fresh PostgreSQL storage (what the HTTP benchmarks call)."""
    storage = Storage("postgres")
    try:
        return measure(make_path(path, storage, requests, log_events, bulk_items), requests)
    finally:
        storage.drop()


def make_path(name: str, storage: Storage, requests: int, log_events: int, bulk_items: int) -> Path:
    if name == "completion":
        return Completion(storage, log_events, requests + max(50, requests // 10))
    if name == "bulk":
        return Bulk(storage, log_events, requests + max(50, requests // 10), bulk_items)
    if name == "verify":
        return Verify(storage, log_events)
    raise SystemExit(f"unknown path {name!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paths", default="completion,verify,bulk")
    parser.add_argument("--requests", type=int, default=2_000, help="requests per path (bulk: --bulk-requests)")
    parser.add_argument("--bulk-items", type=int, default=1_000)
    parser.add_argument("--bulk-requests", type=int, default=5)
    parser.add_argument("--log-events", type=int, default=10_000, help="completions recorded before (training paths)")
    parser.add_argument("--cprofile", type=int, default=0, help="instead of phases, print the N costliest functions")
    parser.add_argument("--callers", default="", help="with --cprofile: who calls the functions matching this")
    parser.add_argument("--statements", action="store_true", help="also count each SQL statement per request")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    report = Report("profile", "Where each HTTP path's CPU goes, by phase (in process, PostgreSQL)",
                    {k: v for k, v in vars(args).items()})
    for name in args.paths.split(","):
        storage = Storage("postgres")
        try:
            count = args.bulk_requests if name == "bulk" else args.requests
            log_events = args.log_events if name != "verify" else 0
            # the bulk path measures its first request too (only a few); the others warm up first
            path = make_path(name, storage, count, log_events, args.bulk_items)
            result = measure(path, count, cprofile=args.cprofile, statements=args.statements, callers=args.callers)
        finally:
            storage.drop()
        if args.cprofile:
            print(f"== {result['title']}: {result['process_cpu_ms_per_item']} ms/item\n{result['cprofile']}")
            continue
        print(json.dumps(result, indent=1, ensure_ascii=False))
        add_phase_table(report, result)
        report.data[name] = result
    if not args.cprofile:
        report.notes += NOTES
        report.finish(write=not args.no_write)


NOTES = [
    "Each phase is thread CPU time (time.thread_time_ns) on the thread that ran it, exclusive of the phases it "
    "called, summed over the timed requests and divided by them (by the items, for bulk). Coroutines (the strict "
    "body hook) are timed step by step between their awaits. 'wall ms' is inclusive elapsed time, so a phase "
    "that waits (a round trip, the group commit) shows it there and not in CPU.",
    "Round trips: psycopg's waits that went to the server (its I/O generator had to wait on the socket at "
    "least once): a query, BEGIN, a COMMIT that commits, a pipeline's sync. A COMMIT of a connection in "
    "autocommit returns at once and is not one (it is in the storage phase's calls and CPU, though). The "
    "column 'round trips it made' names the phase that asked for them.",
    "The framework row is the remainder: the process's CPU (time.process_time) per request, less every phase, "
    "less the driver's own cost (the same 16-client driver against an ASGI app that answers at once). It holds "
    "Litestar's routing, middleware, dependency injection and guards, the hand-offs to worker threads, and any "
    "background thread's CPU. Uvicorn's socket and HTTP parsing are not in it (no sockets here); the HTTP "
    "benchmarks' 'service CPU ms/request' column includes them.",
    "The group commit's writer thread saves a group of concurrent completions in one transaction: its event "
    "encoding, storage and projection are shared by the group and appear here divided among its requests.",
    "When the header's load average is above the core count, the machine was shared with other work while this "
    "ran: thread CPU time resists that better than rates, but caches and hyperthreads shared with other work "
    "still inflate every figure somewhat; compare phases within one run.",
]

if __name__ == "__main__":
    main()
