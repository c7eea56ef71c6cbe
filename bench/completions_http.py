"""Single completions over HTTP from 16 concurrent clients, against single-row autocommit INSERTs.

    .venv/bin/python -m bench.completions_http --storage postgres   (or sqlite, or both)

The training service runs as a real uvicorn process; 16 asyncio clients (bench/loadclient.py, on uvloop) post new
completions back to back. The raw baseline is 16 connections doing single-row autocommit
INSERTs of event-sized rows into the same database: the most commits per second it can take.
Measured with logs of 10^4, 10^5 and 10^6 events already recorded, to show how the figure scales.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

from bench import generate, raw
from bench.common import (
    CpuSplit, Report, ServiceProcess, Storage, arguments, closed_loop, latency_summary, rate, ratio, run_async,
)
from bench.loadclient import LeanConnection
from contracts.keys import Role
from services.training.application import TrainingRecords

CLIENTS = 16
WORKERS = int(__import__("os").environ.get("BENCH_WORKERS", "1"))


async def post_storm(
    url: str, token: str, world: generate.TrainingWorld, seconds: float, run: str, split: CpuSplit | None = None,
) -> dict[str, Any]:
    statuses: dict[int, int] = {}
    path = f"/v1/providers/{world.provider_id}/completions/"
    connections = [LeanConnection(url, token) for _ in range(CLIENTS)]
    requests = [
        [conn.encode("POST", path, item) for item in generate.completion_items(world, 100_000, prefix=f"{run}-c{c}", seed=c)]
        for c, conn in enumerate(connections)
    ]
    async with contextlib.AsyncExitStack() as stack:
        for conn in connections:
            await stack.enter_async_context(conn)

        async def call(c: int, n: int) -> None:
            status, _ = await connections[c].send(requests[c][n])
            statuses[status] = statuses.get(status, 0) + 1

        count, elapsed, latencies = await closed_loop(CLIENTS, seconds, call, split=split)
    return {"count": count, "seconds": elapsed, "latencies": latencies, "statuses": statuses}


def _cores(split: CpuSplit, *parts: str) -> list[float]:
    """Cores busy on average in one measurement, for each part named."""
    c = split.cores()
    return [c[part] for part in parts]


def measure(kind: str, args: Any, report: Report, scaling: Any, cpu_table: Any, goals: dict[str, Any]) -> None:
    storage = Storage(kind)
    try:
        app = TrainingRecords(storage.settings())
        world = generate.training_world(app, people=2_000)
        _, token = app.issue_key(role=Role.PROVIDER, scope=str(world.provider_id), name="bench provider",
                                 actor=generate.REGISTRAR)
        recorded = 0
        sizes = [int(n * args.scale) for n in (10_000, 100_000, 1_000_000)]
        for size in sizes:
            started = time.perf_counter()
            recorded += generate.completions(app, world, size - recorded, prefix=f"pre{size}")
            print(f"[{kind}] log holds {recorded:,} completions ({time.perf_counter() - started:.1f}s to generate)")
            with ServiceProcess("training", storage, workers=WORKERS) as server:
                split = CpuSplit(server)
                result = run_async(post_storm(server.url, token, world, args.seconds, f"s{size}", split))
                rss = server.rss_mb()
            cpu_ms = round(split.used["service"] / max(result["count"], 1) * 1000, 2)
            recorded = app.recorder.max_notification_id() or recorded  # the run's completions count too
            with CpuSplit() as raw_split:
                baseline = raw.single_inserts(storage, clients=CLIENTS, seconds=args.seconds)
            ours, limit = rate(result["count"], result["seconds"]), rate(baseline["rows"], baseline["seconds"])
            lat, raw_lat = latency_summary(result["latencies"]), latency_summary(baseline["latencies"])
            scaling.add(kind, f"{size:,}", ours, lat["p50_ms"], lat["p99_ms"], limit, raw_lat["p99_ms"],
                        ratio(ours, limit), cpu_ms, rss, str(result["statuses"]))
            cpu_table.add(kind, f"{size:,}", *_cores(split, "service", "load generator", "postgres", "machine"),
                          *_cores(raw_split, "load generator", "postgres", "machine"), split.cores()["of"])
            report.data.setdefault(kind, []).append({"log_events": size, "service": {**result, "latencies": lat},
                                                     "service_cpu_ms_per_request": cpu_ms, "cpu_cores": split.cores(),
                                                     "raw": {**baseline, "latencies": raw_lat},
                                                     "raw_cpu_cores": raw_split.cores(), "rss_mb": rss})
            goals[kind] = (ratio(ours, limit), lat["p99_ms"], ours, limit)
        app.close()
    finally:
        storage.drop()


def main() -> None:
    args = arguments(__doc__.splitlines()[0])
    report = Report("completions_http", "Single completions over HTTP (16 clients) vs single-row autocommit INSERTs",
                    {k: v for k, v in vars(args).items() if k != "storages"})
    scaling = report.table("completions/s by log size", [
        "storage", "log events before", "completions/s", "p50 ms", "p99 ms", "raw INSERTs/s", "raw p99 ms",
        "ratio", "service CPU ms/request", "service RSS MiB", "HTTP statuses"])
    cpu_table = report.table("where the CPU went (cores busy on average during each timed run)", [
        "storage", "log events before", "service", "load generator", "PostgreSQL", "machine busy",
        "raw: client", "raw: PostgreSQL", "raw: machine busy", "cores in the machine"])
    goals: dict[str, Any] = {}
    for kind in args.storages:
        measure(kind, args, report, scaling, cpu_table, goals)
    for kind, (r, p99, ours, limit) in goals.items():
        report.goal(f"{kind}: ratio to raw INSERTs", ">= 0.5", f"{r} ({ours:,.0f} vs {limit:,.0f}/s)", r >= 0.5,
                    EXPLAIN_RATIO if r < 0.5 else "")
        report.goal(f"{kind}: p99 latency", "<= 50 ms", f"{p99} ms", p99 <= 50, EXPLAIN_P99 if p99 > 50 else "")
    report.notes += NOTES
    report.finish(write=not args.no_write)


EXPLAIN_RATIO = (
    "The column 'service CPU ms/request' is the server process's own CPU per answered request: ~11 ms on "
    "PostgreSQL and ~6 ms on SQLite. At 11 ms one core cannot pass ~90 completions/s and both cores ~180/s, "
    "whatever the database does, while half the raw INSERT rate would need under 1 ms per request. "
    "Each HTTP completion costs the service CPU the raw INSERT does not: HTTP parsing and routing, "
    "bearer-key authentication (a read-model query), strict JSON decoding, the catalogue and people "
    "lookups and the idempotency lookup (4-5 queries), the event store write, and the projector's "
    "catch-up that keeps the ledger read model current before answering (so the answer is read-your-write). "
    "Group commit (shared/group_commit.py) makes the commits cheap: concurrent requests share one "
    "transaction, so the service is no longer bound by the database's commit rate but by Python CPU — "
    "and on this machine the 2 cores are shared by the server, the 16-client load generator and "
    "PostgreSQL itself. The raw baseline spends nearly all of its time waiting for the server's commits, "
    "which on this PostgreSQL is cheap (see synchronous_commit in the header), so the ratio compares "
    "a CPU-bound Python service with a commit-bound C client. What would reach it: several uvicorn "
    "workers on more cores (the group commit then groups per worker), and moving the read-model "
    "queries of each request (auth, catalogue, people) into per-process caches invalidated by the log."
)
EXPLAIN_P99 = (
    "p99 is dominated by queueing: with 16 clients in a closed loop, latency ≈ 16 / throughput, "
    "so it falls below 50 ms only when the service passes ~320 completions/s on these cores."
)
NOTES = [
    "Service and load generator run on the same 2 shared cores; both numbers are from the same run, so the "
    "ratio is the comparable figure, not the absolute rates.",
    "Every posted completion is new (201); the HTTP statuses column shows any other answer.",
    "Group commit: the training service's single-completion path enqueues the checked completion; one writer "
    "thread saves everything queued with one save(*completions) transaction, and on a collision saves the group "
    "one by one so a duplicate still gets its original result and a conflict its 409.",
]

if __name__ == "__main__":
    main()
