"""PostgreSQL goes away during load and comes back: the service answers 503 with Retry-After
meanwhile — never 500 — and recovers by itself, without a restart, losing nothing accepted."""

from __future__ import annotations

import threading
import time
from urllib.parse import urlsplit

import pytest
from litestar.testing import TestClient

from services.credential.app import create_app
from shared.idnumber import make_valid
from tests.conftest import TEST_DATABASE_URL, drop_schemas, issue, make_settings, require_postgres
from tests.e2e.tcp_proxy import CuttableProxy

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def test_the_credential_service_rides_out_a_database_outage(tmp_path):
    require_postgres()
    real = urlsplit(TEST_DATABASE_URL)
    proxy = CuttableProxy(real.hostname or "127.0.0.1", real.port or 5432)
    proxy.start()
    url = TEST_DATABASE_URL.replace(f"{real.hostname}:{real.port or 5432}", f"127.0.0.1:{proxy.port}")
    settings = make_settings("postgres", tmp_path, database_url=url)
    accepted: list[str] = []
    statuses: list[int] = []
    slowest: list[float] = [0.0]
    failures: list[str] = []
    try:
        with TestClient(create_app(settings)) as client:
            headers = issue(client.app.state.service, "registrar")
            stop = threading.Event()

            def load() -> None:
                serial = 0
                while not stop.is_set():
                    serial += 1
                    body = {"name": f"员工{serial}", "id_number": make_valid(f"31011619900101{serial % 1000:03d}")}
                    started = time.monotonic()
                    response = client.post("/v1/staff", json=body, headers=headers)
                    slowest[0] = max(slowest[0], time.monotonic() - started)
                    statuses.append(response.status_code)
                    if response.status_code >= 500 and response.status_code != 503:
                        failures.append(response.text)
                    if response.status_code == 201:
                        accepted.append(response.json()["staff_id"])
                    elif response.status_code == 503:
                        assert int(response.headers["retry-after"]) > 0
                        assert response.json()["code"] in ("storage_unavailable", "not_ready")
                    time.sleep(0.01)

            worker = threading.Thread(target=load)
            worker.start()
            time.sleep(0.5)
            proxy.cut()
            time.sleep(0.5)
            ready = client.get("/ready")
            assert ready.status_code == 503 and "retry-after" in ready.headers
            time.sleep(6)  # longer than the connect timeout: requests must fail fast-ish, not hang
            proxy.start()  # the database is back on the same address
            deadline = time.monotonic() + 30
            while client.get("/ready").status_code != 200:
                assert time.monotonic() < deadline, "service did not recover without a restart"
                time.sleep(0.2)
            before = len(accepted)
            time.sleep(1)
            stop.set()
            worker.join(timeout=60)
            assert len(accepted) > before, "no request succeeded after the database came back"
            assert not failures, failures
            assert 500 not in statuses and 503 in statuses
            assert slowest[0] < 8, f"a request hung {slowest[0]:.1f}s during the outage instead of failing fast"
            listed = {s["staff_id"] for s in client.get("/v1/staff?limit=1000", headers=headers).json()}
            assert set(accepted) <= listed  # nothing accepted was lost
    finally:
        proxy.cut()
        drop_schemas(settings.schema_prefix)
