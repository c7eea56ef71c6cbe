"""Single completions over HTTP from 16 concurrent clients, against single-row autocommit INSERTs.

    .venv/bin/python -m bench.completions_http --storage postgres   (or sqlite, or both)

The training service runs as a real uvicorn process, with one and then with two uvicorn workers; 16 asyncio
clients (bench/loadclient.py, on uvloop) post new completions back to back. The raw baseline is 16 connections doing single-row autocommit
INSERTs of event-sized rows into the same database: the most commits per second it can take.
The peer (on PostgreSQL) is the textbook app of bench/peer.py, the same uvicorn settings and load
generator posting the same completions to its ``POST /completions`` (one aggregate saved per POST):
what anyone would write first with the same libraries, also with one and with two workers. During each timed run
a sampler reads the PostgreSQL sessions of the process measured from pg_stat_activity every 50 ms (lock waits,
transactions left open between statements), so a goal not met is explained by what this run measured.
Measured with logs of 10^4, 10^5 and 10^6 events already recorded, to show how the figure scales.
"""

from __future__ import annotations

import contextlib
import itertools
import time
from typing import Any

from bench import generate, raw
from bench.profile_paths import add_phase_table, profile
from bench.common import (
    CpuSplit, Report, ServiceProcess, Storage, WaitSampler, WalWindow, arguments, closed_loop, describe_wait, latency_summary,
    rate, ratio, run_async,
)
from bench.loadclient import LeanConnection, connect_all
from contracts.keys import Role
from services.training.application import TrainingRecords

CLIENTS = 16
WORKERS = (1, 2)
"""uvicorn workers measured at every log size, for the service and for the peer (the issue: two >= 1.4x one)."""
ENCODED_AHEAD_PER_S = 3_000
"""Requests encoded before a timed run, per second of it (all clients): more than either app answers on 2 cores.
Encoding 100,000 per client up front took ~9 s of the load generator's CPU per run before it started (0.54 s per
client measured); a client that outruns them encodes the next request on demand."""
WAITS_SHOWN = 4
"""Rows of the wait table per service run: the most frequent (state, wait, statement) but plain idle."""


async def post_storm(
    url: str, token: str | None, world: generate.TrainingWorld, seconds: float, run: str, split: CpuSplit | None = None,
    path: str | None = None, waits: WaitSampler | None = None, wal: WalWindow | None = None,
) -> dict[str, Any]:
    """16 clients posting new completions back to back (to the service, or to the peer at ``path``)."""
    statuses: dict[int, int] = {}
    path = path or f"/v1/providers/{world.provider_id}/completions/"
    connections = [LeanConnection(url, token) for _ in range(CLIENTS)]
    items = [generate.completion_items(world, 100_000, prefix=f"{run}-c{c}", seed=c) for c in range(CLIENTS)]
    ahead = int((seconds + 1) * ENCODED_AHEAD_PER_S / CLIENTS) + 100  # the warm-up is 1 s
    requests = [[conn.encode("POST", path, item) for item in itertools.islice(items[c], ahead)]
                for c, conn in enumerate(connections)]
    async with contextlib.AsyncExitStack() as stack:
        await connect_all(stack, connections)

        async def call(c: int, n: int) -> None:
            if n >= len(requests[c]):  # faster than foreseen: encode the next one now (new event ids still)
                requests[c].append(connections[c].encode("POST", path, next(items[c])))
            status, _ = await connections[c].send(requests[c][n])
            statuses[status] = statuses.get(status, 0) + 1

        count, elapsed, latencies = await closed_loop(CLIENTS, seconds, call, split=split, waits=waits, wal=wal)
    return {"count": count, "seconds": elapsed, "latencies": latencies, "statuses": statuses}


def _cores(split: CpuSplit | dict[str, float], *parts: str) -> list[float]:
    """Cores busy on average in one measurement, for each part named."""
    c = split.cores() if isinstance(split, CpuSplit) else split
    return [c[part] for part in parts]


def timed_run(service: str, storage: Storage, world: generate.TrainingWorld, token: str | None, workers: int,
              seconds: float, run: str) -> dict[str, Any]:
    """One timed run of the service (or the peer) with ``workers`` uvicorn workers: rate, latency, CPU, waits."""
    path = "/completions" if service == "peer" else None
    started = time.perf_counter()
    with ServiceProcess(service, storage, workers=workers) as server:
        split, waits = CpuSplit(server), server.waits()
        wal = WalWindow() if storage.kind == "postgres" else None
        result = run_async(post_storm(server.url, token, world, seconds, run, split, path=path, waits=waits, wal=wal))
        rss = server.rss_mb()
    print(f"[{storage.kind}] {service}, {workers} worker(s): {rate(result['count'], result['seconds']):,}/s "
          f"({time.perf_counter() - started:.1f}s with start, warm-up and stop)", flush=True)
    return {**result, "workers": workers, "latencies": latency_summary(result["latencies"]),
            "per_s": rate(result["count"], result["seconds"]),
            "cpu_ms": round(split.used["service"] / max(result["count"], 1) * 1000, 2), "cpu_cores": split.cores(),
            "rss_mb": rss, "waits": waits.summary() if waits else None, "wait_totals": waits.totals() if waits else None,
            "wait_samples": waits.samples if waits else 0, "wait_error": waits.error if waits else None,
            "wal": wal.per(result["count"]) if wal else None, "wal_error": wal.error if wal else None}


def peer_cells(peer: dict[str, Any] | None, ours: float, one: dict[str, Any] | None) -> list[Any]:
    """The peer's columns: completions/s, p99, its gain over one worker, CPU per request, statuses, service/peer."""
    if peer is None:
        return ["—"] * 6
    gain = ratio(peer["per_s"], one["per_s"]) if one is not None and peer is not one else "—"
    return [peer["per_s"], peer["latencies"]["p99_ms"], gain, peer["cpu_ms"], str(peer["statuses"]),
            ratio(ours, peer["per_s"])]


def measure(kind: str, args: Any, report: Report, tables: dict[str, Any], goals: dict[str, Any]) -> None:
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
            ours: dict[int, dict[str, Any]] = {}
            theirs: dict[int, dict[str, Any] | None] = {}
            for workers in WORKERS:  # service then peer at each worker count, so each pair shares its minutes
                before = app.recorder.max_notification_id() or recorded
                ours[workers] = {**timed_run("training", storage, world, token, workers, args.seconds,
                                             f"s{size}w{workers}"), "log_events_before": before}
                theirs[workers] = (timed_run("peer", storage, world, None, workers, args.seconds, f"p{size}w{workers}")
                                   if kind == "postgres" else None)  # the peer's storage is PostgreSQL
            recorded = app.recorder.max_notification_id() or recorded  # the runs' completions count too
            with CpuSplit() as raw_split:
                baseline = raw.single_inserts(storage, clients=CLIENTS, seconds=args.seconds)
            limit, raw_lat = rate(baseline["rows"], baseline["seconds"]), latency_summary(baseline["latencies"])
            one, peer_one = ours[WORKERS[0]], theirs[WORKERS[0]]
            for workers in WORKERS:
                run, peer = ours[workers], theirs[workers]
                first = workers == WORKERS[0]
                tables["rates"].add(
                    kind, f"{size:,}", workers, run["per_s"], run["latencies"]["p50_ms"], run["latencies"]["p99_ms"],
                    "—" if first else ratio(run["per_s"], one["per_s"]), limit, raw_lat["p99_ms"],
                    ratio(run["per_s"], limit), *peer_cells(peer, run["per_s"], peer_one), run["cpu_ms"],
                    run["rss_mb"], str(run["statuses"]))
                tables["cpu"].add(
                    kind, f"{size:,}", workers, *_cores(run["cpu_cores"], "service", "load generator", "postgres",
                                                        "machine"),
                    *(_cores(peer["cpu_cores"], "service", "postgres", "machine") if peer else ["—"] * 3),
                    *(_cores(raw_split, "load generator", "postgres", "machine") if first else ["—"] * 3),
                    run["cpu_cores"]["of"])
                for who, measured in (("service", run), ("peer", peer)):
                    if measured is not None and measured["wait_totals"] is not None:
                        t = measured["wait_totals"]
                        tables["wait_totals"].add(kind, f"{size:,}", workers, who, measured["wait_samples"],
                                                  t["sessions"], t["lock"], t["idle in transaction"], t["active"],
                                                  t["idle"])
                for who, measured in (("service", run), ("peer", peer)):
                    if measured is not None and measured["wal"] is not None:
                        w = measured["wal"]
                        tables["wal"].add(kind, f"{size:,}", workers, who, w["commits"], w["wal_bytes"],
                                          w["fpi_bytes"], w["btree_bytes"], w["heap_bytes"])
                for row in [w for w in run["waits"] or [] if w["state"] != "idle"][:WAITS_SHOWN]:
                    tables["waits"].add(kind, f"{size:,}", workers, row["sessions"], row["state"], row["wait"],
                                        row["statement"])
            report.data.setdefault(kind, []).append({
                "log_events": size, "service": ours, "peer": theirs, "raw": {**baseline, "latencies": raw_lat},
                "raw_cpu_cores": raw_split.cores()})
            goals.setdefault(kind, []).append({"size": size, "limit": limit, "service": ours, "peer": theirs})
        app.close()
    finally:
        storage.drop()


def workers_goal(kind: str, rows: list[dict[str, Any]]) -> tuple[str, bool, str]:
    """The two-workers goal: the measured text (every log size), whether it is met, and its explanation.

    ``rows`` holds, per log size, the runs measured (``service`` and ``peer`` by worker count, as ``measure``
    records them). Met when two workers reach 1.4x one at every size. The explanation uses only this run's
    figures: the rates, the CPU split of the two-worker run, and what the service's PostgreSQL sessions did.
    """
    gains = [(r["size"], r["service"][1], r["service"][2], ratio(r["service"][2]["per_s"], r["service"][1]["per_s"]))
             for r in rows]
    parts = [f"{g} at {size:,} ({one['per_s']:,.0f} → {two['per_s']:,.0f}/s)" for size, one, two, g in gains]
    peers = [(r["size"], ratio(r["peer"][2]["per_s"], r["peer"][1]["per_s"])) for r in rows if r.get("peer")
             and r["peer"].get(1) and r["peer"].get(2)]
    measured = "; ".join(parts) + (f"; the peer {', '.join(str(g) for _, g in peers)}" if peers else "")
    met = bool(gains) and all(g >= 1.4 for *_, g in gains)
    if met:
        return measured, True, ""
    size, one, two, gain = min(gains, key=lambda x: x[3])
    c1, c2 = one["cpu_cores"], two["cpu_cores"]
    text = [f"Measured in this run, at {size:,} events (the size with the smallest gain, {gain}×): one worker "
            f"{one['per_s']:,.0f} completions/s with the service using {c1['service']} cores ({one['cpu_ms']} ms of "
            f"CPU per completion), two workers {two['per_s']:,.0f}/s using {c2['service']} cores ({two['cpu_ms']} ms "
            f"per completion); PostgreSQL {c1['postgres']} → {c2['postgres']} cores; the machine {c1['machine']} → "
            f"{c2['machine']} of {c2['of']} cores busy."]
    if c2["machine"] >= 0.9 * c2["of"]:
        other = c2.get("other", 0.0)
        text.append("With two workers the machine's cores were full: a second worker had no idle core to run on "
                    "(service, PostgreSQL and load generator share them"
                    + (f", and other work on the machine took {other} cores" if other >= 0.1 else "")
                    + "), so its gain was capped by CPU; the session counts below show what locks added.")
    else:
        text.append(f"The cores were not full ({round(c2['of'] - c2['machine'], 2)} of a core idle on average): the "
                    "second worker was held back by waiting, not by CPU.")
    used = round(c1["service"] + c1["postgres"] + c1.get("load generator", 0.0), 2)
    if used > 0:
        ceiling = round(c1["of"] / used, 2)
        text.append(
            f"With one worker the service, PostgreSQL and the load generator kept {used} cores busy for "
            f"{one['per_s']:,.0f}/s: at that CPU per completion the machine's {c1['of']} cores allow at most "
            f"{ceiling}× that rate, however many workers"
            + (", below the goal's 1.4×: on this machine the goal needs less CPU per completion, not only more "
               "workers." if ceiling < 1.4 else "."))
    t1, t2 = one.get("wait_totals"), two.get("wait_totals")
    if t1 and t2:
        top = [w for w in two["waits"] if w["state"] != "idle"][:3]
        text.append(
            f"The service's PostgreSQL sessions (pg_stat_activity every 50 ms, {two['wait_samples']} samples) were on "
            f"average, with one worker → two: waiting on a lock {t1['lock']} → {t2['lock']}, idle inside an open "
            f"transaction {t1['idle in transaction']} → {t2['idle in transaction']}, active {t1['active']} → "
            f"{t2['active']}, of {t1['sessions']} → {t2['sessions']} sessions. Most often, with two workers: "
            + "; ".join(describe_wait(w) for w in top) + ".")
        if t2["lock"] >= 0.5:
            text.append("Writers queued on locks: a session waiting on a lock is a save or a catch-up that cannot "
                        "start until another worker's transaction commits, so the two workers' writes take turns.")
        if t2["idle in transaction"] >= 0.5:
            text.append("Transactions stayed open while the service worked between their statements: whatever "
                        "they lock (the event table's EXCLUSIVE lock from LOCK TABLE to COMMIT, the projector's "
                        "position row FOR UPDATE) stays locked across those round trips and that Python work.")
    else:
        text.append("No session sampling on this storage (pg_stat_activity is PostgreSQL's).")
    w1, w2 = one.get("wal"), two.get("wal")
    if w1 and w2 and w1["commits"] and w2["commits"]:
        text.append(
            f"PostgreSQL's log (pg_walinspect) recorded {w1['commits']} commits per completion with one worker and "
            f"{w2['commits']} with two: the group commit's transactions (the save, the projector's catch-up) "
            + (f"carried {round(w2['commits'] / w1['commits'], 2)}× as many completions each with one worker as "
               "with two, since each worker's writer groups only its own requests; PostgreSQL's per-transaction "
               "work is paid that much more often per completion." if w2["commits"] > 1.15 * w1["commits"] else
               "carried about as many completions each in both: group size does not explain the missing gain."))
    if peers:
        text.append(f"The textbook peer, one event per POST and no projection, gained {peers[-1][1]}× at "
                    f"{peers[-1][0]:,} events in the same minutes.")
    return measured, False, " ".join(text)


def main() -> None:
    args = arguments(__doc__.splitlines()[0])
    report = Report("completions_http", "Single completions over HTTP (16 clients) vs single-row autocommit INSERTs",
                    {k: v for k, v in vars(args).items() if k != "storages"})
    tables = {
        "rates": report.table("completions/s by log size and uvicorn workers (service and peer in the same minutes)", [
            "storage", "log events before", "workers", "completions/s", "p50 ms", "p99 ms", "× 1 worker",
            "raw INSERTs/s", "raw p99 ms", "ratio", "peer completions/s", "peer p99 ms", "peer × 1 worker",
            "peer CPU ms/request", "peer HTTP statuses", "service/peer", "service CPU ms/request",
            "service RSS MiB", "HTTP statuses"]),
        "cpu": report.table("where the CPU went (cores busy on average during each timed run)", [
            "storage", "log events before", "workers", "service", "load generator", "PostgreSQL", "machine busy",
            "peer: its process", "peer: PostgreSQL", "peer: machine busy", "raw: client", "raw: PostgreSQL",
            "raw: machine busy", "cores in the machine"]),
        "wait_totals": report.table(
            "the PostgreSQL sessions of each process during its timed run (pg_stat_activity every 50 ms; sessions "
            "on average)", ["storage", "log events before", "workers", "process", "samples", "sessions",
                            "waiting on a lock", "idle in transaction", "active (running or waiting)",
                            "idle in the pool"]),
        "wal": report.table(
            "what PostgreSQL's write-ahead log recorded per completion during each timed run (pg_walinspect; a "
            "commit is one transaction that wrote)", ["storage", "log events before", "workers", "process",
                                                      "commits per completion", "WAL bytes per completion",
                                                      "of them full-page images", "Btree (index) bytes",
                                                      "Heap (row) bytes"]),
        "waits": report.table(
            f"what the service's sessions did most often, plain idle left out (at most {WAITS_SHOWN} rows per run; "
            "the statement is the session's current or last one, schema prefix removed)",
            ["storage", "log events before", "workers", "sessions on average", "state", "wait event", "statement"]),
    }
    goals: dict[str, list[dict[str, Any]]] = {}
    for kind in args.storages:
        measure(kind, args, report, tables, goals)
    profiled = None
    if "postgres" in args.storages:  # where the CPU goes, by phase (bench/profile_paths.py)
        profiled = profile("completion", requests=1_500, log_events=int(10_000 * args.scale))
        report.data["profile"] = profiled
    trips = profiled["round_trips_per_item"] if profiled else None
    for kind, rows in goals.items():
        last = rows[-1]
        run, peer, limit, size = last["service"][1], (last["peer"] or {}).get(1), last["limit"], last["size"]
        ours, p99, r = run["per_s"], run["latencies"]["p99_ms"], ratio(run["per_s"], limit)
        vs = ratio(ours, peer["per_s"]) if peer else None
        beside = f"; service/peer {vs}" if peer else ""
        at = f"1 worker, {size:,} events"
        report.goal(f"{kind}: ratio to raw INSERTs ({at})", ">= 0.1", f"{r} ({ours:,.0f} vs {limit:,.0f}/s){beside}",
                    r >= 0.1, "" if r >= 0.1 else explain_ratio(run, limit, trips))
        if peer:
            report.goal(f"{kind}: service/peer, the textbook app ({at})", ">= 2",
                        f"{vs} ({ours:,.0f} vs {peer['per_s']:,.0f}/s)", vs >= 2,
                        "" if vs >= 2 else EXPLAIN_PEER.format(ours=run["cpu_ms"], theirs=peer["cpu_ms"]))
        report.goal(f"{kind}: p99 latency ({at})", "<= 50 ms", f"{p99} ms", p99 <= 50,
                    "" if p99 <= 50 else EXPLAIN_P99.format(rate=f"{ours:,.0f}", mean=round(CLIENTS / ours * 1000, 1)
                                                            if ours else "—", p99=p99))
        measured, met, why = workers_goal(kind, rows)
        report.goal(f"{kind}: two uvicorn workers vs one (completions/s, each log size)", ">= 1.4×", measured, met, why)
    report.notes += NOTES
    if profiled:
        add_phase_table(report, profiled)
    report.finish(write=not args.no_write)


def explain_ratio(run: dict[str, Any], limit: float, trips: float | None) -> str:
    """Why the service is under 0.1 of the raw INSERTs, from this run's figures."""
    need = limit * 0.1
    cores = run["cpu_cores"]
    return EXPLAIN_RATIO.format(
        limit=f"{limit:,.0f}", need=f"{need:,.0f}", ours=f"{run['per_s']:,.0f}", cpu_ms=run["cpu_ms"],
        need_cores=round(need * run["cpu_ms"] / 1000, 2), service=cores["service"], machine=cores["machine"],
        of=cores["of"], trips=f"{trips} round trips per completion" if trips else "its round trips")


EXPLAIN_RATIO = (
    "Measured in this run: a tenth of the raw INSERTs ({limit}/s) is {need}/s; the service reached {ours}/s with "
    "{cpu_ms} ms of its own CPU per completion, so {need}/s would take {need_cores} cores for the service alone, "
    "and it used {service} while the machine was {machine} of {of} cores busy. The raw baseline is commit-bound C "
    "(16 connections each waiting for their own commit); the service is Python, and the phase table "
    "(bench/profile_paths.py, same run) splits its CPU: psycopg's per-statement work for {trips} is the largest "
    "share (the request's key check, people and idempotency lookups, and its share of the group-commit writer's "
    "save, projection and answer), then Litestar with its two thread hand-offs (the remainder), then the use "
    "case's checks. The writer makes its round trips in turn (save: BEGIN, lock, insert, notify, commit; then the "
    "projector's catch-up and the answer's rows), so the process waits on them rather than using a core; whether "
    "a second worker turns that wait into a rate is the two-workers goal, with its sessions' waits."
)
EXPLAIN_P99 = (
    "With 16 clients in a closed loop, latency is about 16 / throughput: {rate}/s gives a mean of about {mean} ms "
    "(p99 {p99} ms). p99 ≤ 50 ms needs the mean well under 50 ms, i.e. well over 320 completions/s: less CPU per "
    "request and fewer round trips in turn on the writer's path (see the phase table and the goal on raw INSERTs)."
)
EXPLAIN_PEER = (
    "The peer (bench/peer.py) and the service both end in one stored event per completion on the same "
    "PostgreSQL; the peer does nothing else (no key check, no catalogue or people lookup, no idempotency, no "
    "projection, one INSERT transaction per POST). Measured in this run: the service spends {ours} ms of its own "
    "CPU per completion, the peer {theirs} ms. Twice the peer's rate needs the service's whole request path, with "
    "everything it does more than the peer, in well under half the peer's CPU per request, or its commits shared "
    "across requests (the service's group commit) to turn into a rate the peer's one commit per POST cannot reach: "
    "the phase table shows where the service's CPU goes."
)
NOTES = [
    "The peer column is the textbook app of bench/peer.py (litestar + msgspec + eventsourcing's own PostgreSQL "
    "persistence, one aggregate saved per POST, no auth, no idempotency, no projections) under the same uvicorn "
    "settings, load generator and PostgreSQL, measured right after the service with the same number of workers at "
    "each row; its own log holds only what it was posted in this run. It runs on PostgreSQL only, so SQLite rows "
    "have no peer.",
    "At each log size the runs go: service with 1 worker, peer with 1, service with 2, peer with 2, then the raw "
    "INSERTs; the service's two-worker run starts with the one-worker run's completions added to its log (the "
    "exact count before each run is in the JSON, log_events_before). '× 1 worker' is the two-worker rate over the "
    "one-worker rate at the same size; the goals on the raw ratio, the peer and p99 are the one-worker run's at "
    "the largest log.",
    "Sessions: each service process connects with application_name set to its schema prefix and name (PGAPPNAME), "
    "and a thread of the load generator reads pg_stat_activity for those sessions every 50 ms during the timed "
    "run only (warm-up excluded). 'waiting on a lock' counts sessions whose wait event is Lock:* (a table lock, "
    "a row lock as transactionid or tuple); 'idle in transaction' counts sessions inside an open transaction "
    "waiting for the service's next statement. The sampler's own query is one small read every 50 ms.",
    "Service and load generator run on the same 2 cores; both numbers are from the same run, so the ratio is the "
    "comparable figure, not the absolute rates. The load generator (bench/loadclient.py on uvloop) takes "
    "~0.02 of a core; the CPU table says where the rest went.",
    "Every posted completion is new (201); the HTTP statuses column shows any other answer.",
    "Group commit: the training service's single-completion path enqueues the checked completion; one writer "
    "thread saves everything queued with one save(*completions) transaction; on a collision it asks which ids are "
    "taken, saves the rest as a group again and only the colliding ones one by one, so a duplicate still gets its "
    "original result and a conflict its 409.",
    "The write-ahead log table reads the log between the timed run's start and end (pg_walinspect, the cluster's "
    "log: nothing else writes during a benchmark). Commits per completion is the inverse of how many completions "
    "share a writing transaction; full-page images are whole pages written on their first change after a "
    "checkpoint.",
]

if __name__ == "__main__":
    main()
