"""Several real processes of each service on one database: replicas, as a load balancer sees them."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any
from uuid import UUID

from shared.settings import Settings
from tests.e2e.processes import District, ServiceProcess, free_port


class Replicas:
    """``count`` processes of each service, sharing the storage, keys and secrets of one district."""

    def __init__(self, settings: Settings, log_dir: Path, count: int = 2):
        self.district = District(settings, log_dir)
        self.count = count
        self.processes: dict[str, list[ServiceProcess]] = {"credential": [], "training": []}

    def start(self, services: tuple[str, ...] = ("credential", "training")) -> None:
        """Start every replica at once (each on its own port and log), and wait until all are ready."""
        env = self.district.env()
        for service in services:
            for n in range(self.count):
                log_dir = self.district.log_dir / f"{service}-{n}"
                log_dir.mkdir(parents=True, exist_ok=True)
                self.processes[service].append(ServiceProcess(service, free_port(), env, log_dir))
        errors: list[BaseException] = []

        def start(process: ServiceProcess) -> None:
            try:
                process.start(timeout=60)
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=start, args=(p,)) for ps in self.processes.values() for p in ps]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            self.stop()
            raise errors[0]

    def stop(self) -> None:
        for processes in self.processes.values():
            for process in processes:
                process.stop()

    def logs(self) -> str:
        return "\n".join(p.log_path.read_text() for ps in self.processes.values() for p in ps if p.log_path.exists())


def call(process: ServiceProcess, method: str, path: str, body: Any = None, token: str | None = None,
         ) -> tuple[int, dict[str, str], Any]:
    """One HTTP call: status, headers (lower-case names) and the decoded JSON body."""
    data = None if body is None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(f"http://127.0.0.1:{process.port}{path}", data=data, headers=headers,
                                     method=method)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, json.loads(error.read() or b"null")


def events_per_aggregate(app: Any, topic_prefix: str) -> Counter[UUID]:
    """How many stored events each aggregate whose topic starts with ``topic_prefix`` has."""
    counts: Counter[UUID] = Counter()
    position = None
    while True:
        page = app.recorder.select_notifications(start=position, limit=1000, inclusive_of_start=False)
        if not page:
            return counts
        for notification in page:
            if notification.topic.startswith(topic_prefix):
                counts[UUID(str(notification.originator_id))] += 1
        position = page[-1].id
