"""Each service's resident memory as its log grows from 10^4 to 10^6 events.

    .venv/bin/python -m bench.memory --storage postgres   (or sqlite, or both)

For each service the log is grown through the batch path (``bench/generate.py``) to 10^4, 10^5
and 10^6 events (``--scale`` multiplies the sizes). At each size the service is started as a
real uvicorn process; the time until ``/ready`` answers is recorded, then a round of ordinary
requests (a person's ledger and a new completion; a nursery's roster and the district figures),
then the resident memory of the process. Nothing the services keep in memory grows with the
log: read models live in the database, and the per-process caches hold keys, catalogues and
badge lists only.
"""

from __future__ import annotations

import random
import time
from typing import Any
from uuid import UUID

import httpx

from bench import generate
from bench.common import Report, ServiceProcess, Storage, arguments
from contracts.keys import Role
from services.credential.application import Credentials
from services.training.application import TrainingRecords

SIZES = (10_000, 100_000, 1_000_000)


def started(service: str, storage: Storage, token: str, requests: Any) -> dict[str, float]:
    """Start the service, time it to /ready, make the requests, and read its memory."""
    began = time.perf_counter()
    with ServiceProcess(service, storage) as server:
        ready = time.perf_counter() - began
        rss_ready = server.rss_mb()
        with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=300) as client:
            requests(client)
        return {"ready_s": round(ready, 1), "rss_ready_mb": rss_ready, "rss_after_mb": server.rss_mb()}


def ok(response: httpx.Response) -> None:
    assert response.status_code in (200, 201), response.text[:300]


def training(kind: str, args: Any, table: Any, report: Report) -> None:
    storage = Storage(kind)
    try:
        app = TrainingRecords(storage.settings())
        world = generate.training_world(app, people=20_000)
        _, token = app.issue_key(role=Role.PROVIDER, scope=str(world.provider_id), name="bench", actor=generate.REGISTRAR)
        items = generate.completion_items(world, 1_000, prefix="M")

        def requests(client: httpx.Client) -> None:
            for _ in range(20):
                ok(client.post(f"/v1/providers/{world.provider_id}/completions/", json=next(items)))
                ok(client.get(f"/v1/providers/{world.provider_id}/completions/?limit=100"))

        for size in (int(s * args.scale) for s in SIZES):
            began = time.perf_counter()
            recorded = app.recorder.max_notification_id() or 0
            generate.completions(app, world, max(0, size - recorded), prefix=f"P{size}")
            events = app.recorder.max_notification_id() or 0
            print(f"[{kind}] training log holds {events:,} events ({time.perf_counter() - began:.0f}s to generate)")
            figures = started("training", storage, token, requests)
            table.add(kind, "training", f"{events:,}", figures["ready_s"], figures["rss_ready_mb"], figures["rss_after_mb"])
            report.data.setdefault(kind, []).append({"service": "training", "events": events, **figures})
        app.close()
    finally:
        storage.drop()


def credential(kind: str, args: Any, table: Any, report: Report) -> None:
    for size in (int(s * args.scale) for s in SIZES):
        storage = Storage(kind)  # a district of this size from scratch (ids are derived from a person's index)
        try:
            app = Credentials(storage.settings())
            _, token = app.issue_key(role=Role.REGISTRAR, scope=None, name="bench", actor=generate.REGISTRAR)
            began = time.perf_counter()
            staff = max(20, size // 4)  # a person, ~2 certificates and an assignment
            district = generate.credential_district(app, nurseries=max(1, staff // 20), staff=staff)
            events = app.recorder.max_notification_id() or 0
            app.close()
            print(f"[{kind}] credential log holds {events:,} events ({time.perf_counter() - began:.0f}s to generate)")
            rng = random.Random(3)

            def requests(client: httpx.Client) -> None:
                for _ in range(20):
                    ok(client.get(f"/v1/nurseries/{UUID(rng.choice(district.nursery_ids))}/roster"))
                ok(client.get("/v1/district/figures"))

            figures = started("credential", storage, token, requests)
            table.add(kind, "credential", f"{events:,}", figures["ready_s"], figures["rss_ready_mb"],
                      figures["rss_after_mb"])
            report.data.setdefault(kind, []).append({"service": "credential", "events": events, **figures})
        finally:
            storage.drop()


def main() -> None:
    args = arguments(__doc__.splitlines()[0])
    report = Report("memory", "Each service's resident memory as its log grows from 10^4 to 10^6 events",
                    {k: v for k, v in vars(args).items() if k != "storages"})
    table = report.table("Resident memory (RSS) of one service process by log size", [
        "storage", "service", "events", "seconds to /ready", "RSS at ready MiB", "RSS after requests MiB"])
    for kind in args.storages:
        training(kind, args, table, report)
        credential(kind, args, table, report)
    report.notes += [
        "Requests per size: training, 20 new completions and 20 pages of a provider's submissions; credential, "
        "20 rosters of random nurseries and the district figures (which read every assignment and certificate).",
        "The district figures read people a page at a time (services/credential/application/queries.py, "
        "DISTRICT_PAGE), so the credential service's memory after them grows only with what the report itself "
        "holds: one line per nursery (12,500 nurseries at 10^6 events) and the JSON answer. CPython keeps freed "
        "memory, so RSS stays at the peak.",
        "The credential district is generated afresh at each size (a nursery per 20 staff, about 4 events per "
        "person); at 10^6 events the district figures cover about 250,000 people, 25 times the issue's district.",
    ]
    report.finish(write=not args.no_write)


if __name__ == "__main__":
    main()
