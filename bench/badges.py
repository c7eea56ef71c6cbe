"""Badge verification offline and over HTTP, against bare ECDSA P-256 signature verification.

    .venv/bin/python -m bench.badges --storage postgres   (or sqlite, or both)

Offline: the ``Verifier`` of ``services/credential/badges/`` checks one scanned badge text
(base45, zlib, COSE_Sign1, claims, times, status list) against cached trust and status lists,
in a loop. The baseline verifies an ES256 signature over a payload of the same size with
``cryptography`` in the same loop. Over HTTP: ``POST /v1/verify`` from 16 clients to the
credential service with 1 and with 2 uvicorn workers (online: live lists from the database),
and, in the same run with the same workers, load generator and PostgreSQL, ``POST /verify`` of the
textbook peer (bench/peer.py: decode, verify the signature with the trust key, one status query).
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import json
import time
import urllib.request
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

import b45
import base45
import psycopg
from psycopg import sql

from bench.profile_paths import add_phase_table, profile
from bench.common import (
    PG_URL, CpuSplit, Report, ServiceProcess, Storage, arguments, closed_loop, latency_summary, rate, ratio, run_async,
)
from bench.generate import REGISTRAR, id_number
from bench.loadclient import LeanConnection, connect_all
from contracts.badges import BadgeCertificate, BadgeHolder
from contracts.keys import Role
from contracts.registry import NewNursery
from services.credential.application import Credentials
from services.credential.badges import claims as badge_claims
from services.credential.badges import cose, transport
from services.credential.badges.verifier import Verifier
from shared.district import today as district_today

CLIENTS = 16


def issue_badge(app: Credentials) -> tuple[str, str]:
    """A caregiver with her badge; (badge text, ID number)."""
    nursery = app.registry.register_nursery(NewNursery(name="朱泾镇阳光托育园", town="朱泾镇", ownership="public", inclusive=True),
                                            REGISTRAR)
    number = id_number(7)
    staff = app.registry.register_staff(name="李娜", id_number=number, registered_by=nursery.nursery_id, actor=REGISTRAR)
    badges = app.badges
    badges.keys.ensure(REGISTRAR)
    row = app.store.query_one("SELECT id_hash FROM staff WHERE staff_id = ?", (staff.staff_id,))
    today = district_today()
    holder = BadgeHolder(
        staff_id=staff.staff_id, name=staff.name, nursery_id=nursery.nursery_id,
        nursery_name="朱泾镇阳光托育园", roles=["infant_caregiver"], certificates=[
            BadgeCertificate(type="infant_care", number="YY-2024-000123", expires_on=today + dt.timedelta(days=900)),
            BadgeCertificate(type="health", number="JK-2026-004512", expires_on=today + dt.timedelta(days=200))])
    issued = badges.issuer.issue(holder, actor=REGISTRAR, id_number=number, id_hash=row["id_hash"])
    return issued.qr_text, number


def interleaved(seconds: float, ours: Any, bare: Any) -> tuple[float, float]:
    """Calls per second of CPU of each, run in alternating slices so both see the same machine.

    Timed in this thread's CPU time: other processes on a shared machine do not inflate it.
    """
    counts, spent = [0, 0], [0.0, 0.0]
    while spent[0] < seconds:
        for i, call in enumerate((ours, bare)):
            started = time.thread_time()
            for _ in range(50):
                call()
            spent[i] += time.thread_time() - started
            counts[i] += 50
    return rate(counts[0], spent[0]), rate(counts[1], spent[1])


def steps(verifier: Verifier, text: str, rounds: int = 3_000) -> dict[str, float]:
    """Microseconds per call of each step of an offline verification, and of the whole."""
    body = transport.unprefix(text.strip())
    packed = transport.b45decode(body)
    message = transport.inflate(packed)
    sign1 = cose.parse_sign1(message)
    key = verifier.trust.keys[sign1.kid or b""]
    calls = {
        "base45 decode (b45 with the RFC's checks, as used)": lambda: transport.b45decode(body),
        "base45 decode: the base45 package alone (used before)": lambda: base45.b45decode(body),
        "base45 decode: b45 alone (unchecked)": lambda: b45.decode(body),
        "zlib inflate": lambda: transport.inflate(packed),
        "COSE_Sign1 parse (cbor2)": lambda: cose.parse_sign1(message),
        "ES256 signature verify (cryptography)": lambda: sign1.verify(key.public_key, key.algorithm),
        "CWT claims decode (cbor2, msgspec)": lambda: badge_claims.decode(sign1.payload),
        "whole Verifier.verify": lambda: verifier.verify(text),
    }
    timings = {}
    for what, call in calls.items():  # in this thread's CPU time (see ``interleaved``)
        started = time.thread_time()
        for _ in range(rounds):
            call()
        timings[what] = round((time.thread_time() - started) / rounds * 1e6, 1)
    return timings


def offline(app: Credentials, text: str, seconds: float, table: Any = None,
            kind: str = "") -> tuple[float, float, dict[str, float]]:
    """Verifications per CPU second against bare ES256 checks, and (with a table) each step's microseconds."""
    badges = app.badges
    verifier = Verifier(badges.keys.trust_list(), badges.statuses.status_list())
    assert verifier.verify(text).verdict == "valid"
    timings: dict[str, float] = {}
    if table is not None:
        timings = steps(verifier, text)
        whole = timings["whole Verifier.verify"]
        for what, micros in timings.items():
            table.add(kind, what, micros, f"{micros / whole:.0%}" if ":" not in what else "(not in the whole)")
    key = ec.generate_private_key(ec.SECP256R1())
    payload = bytes(len(text) * 2 // 3)  # the COSE payload is about 2/3 of the base45 text
    signature = key.sign(payload, ec.ECDSA(hashes.SHA256()))
    public = key.public_key()
    ours, bare = interleaved(seconds, lambda: verifier.verify(text),
                             lambda: public.verify(signature, payload, ec.ECDSA(hashes.SHA256())))
    return ours, bare, timings


async def http_storm(
    url: str, token: str | None, text: str, number: str | None, seconds: float, split: CpuSplit | None = None,
    path: str = "/v1/verify/",
) -> dict[str, Any]:
    statuses: dict[int, int] = {}
    body: dict[str, Any] = {"qr": text} if number is None else {"qr": text, "id_number": number}
    connections = [LeanConnection(url, token) for _ in range(CLIENTS)]
    request = connections[0].encode("POST", path, body)
    async with contextlib.AsyncExitStack() as stack:
        await connect_all(stack, connections)

        async def call(c: int, n: int) -> None:
            status, _ = await connections[c].send(request)
            statuses[status] = statuses.get(status, 0) + 1

        count, elapsed, latencies = await closed_loop(CLIENTS, seconds, call, split=split)
    return {"count": count, "seconds": elapsed, "latencies": latencies, "statuses": statuses}


def peer_setup(app: Credentials, text: str) -> tuple[dict[str, str], list[tuple[int, bool]]]:
    """What the textbook peer is given: the trusted keys (its environment) and the status rows to look up."""
    keys = {kid.hex(): base64.b64encode(cose.public_key_der(key.public_key)).decode()
            for kid, key in app.badges.keys.trust_list().keys.items()}
    status = app.badges.statuses.status_list()
    index = badge_claims.decode(cose.parse_sign1(transport.unwrap(text)).payload).status_index
    rows = [(i, status.is_revoked(i)) for i in range(max(status.size, index + 1))]
    return {"PEER_TRUST_KEYS": json.dumps(keys)}, rows


def peer_run(storage: Storage, setup: tuple[dict[str, str], list[tuple[int, bool]]], text: str, workers: int,
             seconds: float) -> dict[str, Any]:
    """The textbook peer's POST /verify under the same load, in the same run."""
    env, rows = setup
    with ServiceProcess("peer", storage, workers=workers, env=env) as server:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            with conn.cursor() as cur:
                cur.executemany(sql.SQL("INSERT INTO {} VALUES (%s, %s) ON CONFLICT DO NOTHING").format(
                    sql.Identifier(storage.schema("peer"), "badge_status")), rows)
        asked = urllib.request.Request(f"{server.url}/verify", data=json.dumps({"qr": text}).encode(),
                                       headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(asked, timeout=10) as answer:
            verdict = json.load(answer)["verdict"]
        if verdict != "valid":
            raise RuntimeError(f"the peer finds the benchmark's badge {verdict!r}, not valid")
        split = CpuSplit(server)
        result = run_async(http_storm(server.url, None, text, None, seconds, split, path="/verify"))
    return {**result, "latencies": latency_summary(result["latencies"]), "per_s": rate(result["count"], result["seconds"]),
            "cpu_ms": round(split.used["service"] / max(result["count"], 1) * 1000, 2), "cpu_cores": split.cores()}


def measure(kind: str, args: Any, report: Report, tables: dict[str, Any], goals: dict[str, Any]) -> None:
    storage = Storage(kind)
    try:
        app = Credentials(storage.settings())
        text, number = issue_badge(app)
        _, token = app.issue_key(role=Role.REGISTRAR, scope=None, name="bench inspector", actor=REGISTRAR)
        ours, bare, timings = offline(app, text, args.seconds, tables["steps"], kind)
        tables["offline"].add(kind, ours, bare, ratio(ours, bare), len(text))
        goals[f"{kind} offline"] = (ratio(ours, bare), ours, bare, timings)
        setup = peer_setup(app, text) if kind == "postgres" else None  # the peer runs on PostgreSQL only
        app.close()
        for workers, typed in ((1, None), (2, None), (2, number)):
            with ServiceProcess("credential", storage, workers=workers) as server:
                split = CpuSplit(server)
                result = run_async(http_storm(server.url, token, text, typed, args.seconds, split))
                rss = server.rss_mb()
            cpu_ms = round(split.used["service"] / max(result["count"], 1) * 1000, 2)
            cores = split.cores()
            lat = latency_summary(result["latencies"])
            per_s = rate(result["count"], result["seconds"])
            check = "yes (registry hash)" if typed else "no"
            tables["http"].add(kind, workers, check, per_s, lat["p50_ms"], lat["p99_ms"], cpu_ms, rss,
                               cores["service"], cores["load generator"], cores["postgres"], cores["machine"],
                               str(result["statuses"]))
            if typed is None:
                goals[f"{kind} http {workers}"] = per_s
            report.data.setdefault(kind, {})[f"http_{workers}_workers_id_check_{bool(typed)}"] = {
                **result, "latencies": lat, "rss_mb": rss, "cpu_cores": cores}
            if typed is None and setup is not None:
                peer = peer_run(storage, setup, text, workers, args.seconds)
                tables["peer"].add(kind, workers, peer["per_s"], peer["latencies"]["p50_ms"],
                                   peer["latencies"]["p99_ms"], peer["cpu_ms"], str(peer["statuses"]), per_s, cpu_ms,
                                   ratio(per_s, peer["per_s"]))
                goals[f"{kind} http {workers} peer"] = (ratio(per_s, peer["per_s"]), per_s, peer["per_s"], cpu_ms,
                                                        peer["cpu_ms"])
                report.data[kind][f"peer_http_{workers}_workers"] = peer
    finally:
        storage.drop()


def main() -> None:
    args = arguments(__doc__.splitlines()[0])
    report = Report("badges", "Badge verification offline and over HTTP vs bare ECDSA P-256 verify",
                    {k: v for k, v in vars(args).items() if k != "storages"})
    tables = {
        "offline": report.table("Offline verification (one process, one core)", [
            "storage", "Verifier verifications per CPU second", "bare ES256 verify per CPU second", "ratio",
            "badge text chars"]),
        "steps": report.table("Where an offline verification spends its time (one process)", [
            "storage", "step", "microseconds per call", "share of the whole"]),
        "http": report.table("POST /v1/verify, 16 clients", [
            "storage", "uvicorn workers", "with ID number", "verifications/s", "p50 ms", "p99 ms",
            "service CPU ms/request", "service RSS MiB", "cores: service", "cores: load generator",
            "cores: PostgreSQL", "cores: machine busy", "HTTP statuses"]),
        "peer": report.table("The textbook peer's POST /verify (bench/peer.py), 16 clients, same run", [
            "storage", "uvicorn workers", "peer verifications/s", "peer p50 ms", "peer p99 ms", "peer CPU ms/request",
            "peer HTTP statuses", "service verifications/s", "service CPU ms/request", "service/peer"]),
    }
    goals: dict[str, Any] = {}
    for kind in args.storages:
        measure(kind, args, report, tables, goals)
    for key, value in goals.items():
        if key.endswith("peer"):
            r, ours, theirs, ours_ms, theirs_ms = value
            report.goal(f"{key.removesuffix(' peer')} worker(s): service/peer (the textbook verify)", ">= 2",
                        f"{r} ({ours:,.0f} vs {theirs:,.0f}/s)", r >= 2,
                        "" if r >= 2 else EXPLAIN_PEER.format(ours=ours_ms, theirs=theirs_ms))
        elif key.endswith("offline"):
            r, ours, bare, timings = value
            report.goal(f"{key}: ratio to bare verify", ">= 0.7", f"{r} ({ours:,.0f} vs {bare:,.0f}/s)", r >= 0.7,
                        "" if r >= 0.7 else offline_explained(bare, timings))
        elif key.endswith(" 2"):  # the issue's goal: 3,000/s with two workers (one worker's rate is in the table)
            peer = goals.get(f"{key} peer")
            beside = f"; service/peer {peer[0]}" if peer else ""
            one = goals.get(f"{key.removesuffix(' 2')} 1")
            before = f"; 1 worker {one:,.0f}/s" if one is not None else ""
            report.goal(f"{key} worker(s): POST /v1/verify", ">= 3,000/s", f"{value:,.0f}/s{before}{beside}",
                        value >= 3000, "" if value >= 3000 else EXPLAIN_HTTP)
    report.notes.append("With an ID number typed by the inspector (人证合一) the online check compares the registry's "
                        "keyed hash (one HMAC); the badge's deliberately slow holder binding (PBKDF2, ~0.17 s) is "
                        "computed only offline, or for a person without a registry entry.")
    report.notes.append("The size of the payload of the bare verify follows the badge's COSE payload; "
                        "the signature check itself is the same ES256 operation in both.")
    if "postgres" in args.storages:  # where the CPU goes, by phase (bench/profile_paths.py)
        profiled = profile("verify", requests=2_000)
        add_phase_table(report, profiled)
        report.data["profile"] = profiled
    report.finish(write=not args.no_write)


EXPLAIN_OFFLINE = (
    "The table 'Where an offline verification spends its time' splits one verification into its steps. "
    "The ES256 check is the same C code as the baseline; around it the Verifier decodes base45 (now b45, "
    "vectorised with numpy, behind the RFC 9285 checks b45 does not make; the rows marked 'not in the whole' "
    "measure the decoders on the same text in this run: the pure-Python base45 package used before, and b45 "
    "unchecked), inflates zlib, parses the COSE_Sign1 and the CWT claims with cbor2 and msgspec, and builds "
    "the result with its freshness stamps. {budget}The inspector feels none of this: one verification is well "
    "under a millisecond."
)


def offline_explained(bare: float, timings: dict[str, float]) -> str:
    """EXPLAIN_OFFLINE with the budget a ratio of 0.7 leaves, from this run's figures."""
    signature, whole = timings.get("ES256 signature verify (cryptography)"), timings.get("whole Verifier.verify")
    if not signature or not whole or not bare:
        return EXPLAIN_OFFLINE.format(budget="")
    allowed = 1e6 / (0.7 * bare)
    budget = (
        f"Measured in this run: a bare check takes {1e6 / bare:.0f} us, so 0.7 allows {allowed:.0f} us for a whole "
        f"verification; its signature step alone takes {signature:.0f} us, which leaves {allowed - signature:.0f} us "
        f"for everything else, which takes {whole - signature:.0f} us (the steps table). Closing that gap needs the "
        "strict CBOR reading, the canonical-encoding check and the claims' validation in one compiled pass; "
        "hand-written Python encoders in place of cbor2 and cryptography's DER helper were tried (7% faster, "
        "FINDINGS.md) and not kept. "
    )
    return EXPLAIN_OFFLINE.format(budget=budget)
EXPLAIN_PEER = (
    "The textbook verify (bench/peer.py) decodes the badge (base45, zlib, cbor2), checks the ES256 signature "
    "with the trusted key, the expiry, and looks the status bit up with one SQL query; the service's verify does "
    "the same decoding and signature check, authenticates the inspector's key, checks every claim strictly, the "
    "key's validity window and the lists' freshness, and answers with the holder and the freshness stamps. "
    "Measured in this run: the service spends {ours} ms of its own CPU per verification, the peer {theirs} ms. "
    "Twice the peer's rate needs the whole service path in under half the peer's CPU; the signature check "
    "alone (see the steps table) and the HTTP request are shared by both."
)
EXPLAIN_HTTP = (
    "The column 'service CPU ms/request' is the server's own CPU per verification, and the 'cores' columns show "
    "where the machine's 2 cores went. Trust and status lists and each badge's nursery are kept in memory while "
    "the badge read model's version holds (shared/cache.py), so a verification costs one ES256 check, one "
    "round trip (the key and the lists' versions in one query) and the HTTP request itself. The phase table "
    "(same run) splits its CPU: Litestar with its two thread hand-offs (the key check's and the handler's) is the "
    "largest share, then the badge decode and signature check, then psycopg. 3,000/s on this "
    "machine needs under ~0.6 ms of CPU per request including uvicorn's HTTP parsing, less than Litestar's "
    "share and the signature check together. What would reach it: more cores (the figure grows with workers), "
    "or verifying on the inspector's device, which the offline figure measures."
)

if __name__ == "__main__":
    main()
