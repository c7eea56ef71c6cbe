"""What the notice tests share: a real webhook receiver (an HTTP server on a free port, in a thread),
settings with quick retries, and a started service."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from tests.conftest import drop_schemas, make_settings


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    answered: int


@dataclass
class Receiver:
    """Records every request; answers 500 to the first ``fail_first`` requests of each webhook id, then 204."""

    fail_first: int = 0
    requests: list[Received] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    server: Any = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/hooks/carecred"

    def answer_for(self, webhook_id: str) -> int:
        with self._lock:
            seen = sum(r.headers.get("webhook-id") == webhook_id for r in self.requests)
        return 500 if seen < self.fail_first else 204

    def record(self, received: Received) -> None:
        with self._lock:
            self.requests.append(received)

    def accepted(self, secret: str) -> list[tuple[str, Any]]:
        """(webhook id, verified body) of each request answered 2xx whose signature verifies with the secret."""
        found = []
        for r in list(self.requests):
            if 200 <= r.answered < 300:
                try:
                    found.append((r.headers["webhook-id"], Webhook(secret).verify(r.body, r.headers)))
                except WebhookVerificationError:
                    continue
        return found

    def wait_for(self, condition: Callable[[], bool], timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"the receiver did not get what was expected; it got {self.requests}")
            time.sleep(0.05)


def start_receiver(fail_first: int = 0) -> tuple[Receiver, Callable[[], None]]:
    """A receiver on 127.0.0.1 (a free port) and the function that stops it."""
    receiver = Receiver(fail_first=fail_first)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the standard library's name
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            headers = {k.lower(): v for k, v in self.headers.items()}
            status = receiver.answer_for(headers.get("webhook-id", ""))
            receiver.record(Received(self.path, headers, body, status))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    receiver.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=receiver.server.serve_forever, daemon=True)
    thread.start()

    def stop() -> None:
        receiver.server.shutdown()
        receiver.server.server_close()
        thread.join(timeout=5)

    return receiver, stop


SYSTEM = {"key_id": None, "role": "test", "scope": None}
"""The actor of a pass run by a test."""


@pytest.fixture
def notice_settings(backend, tmp_path):
    """Loopback http allowed (the receiver is on this machine), quick retries and rounds."""
    settings = make_settings(backend, tmp_path, webhook_allow_loopback_http=True, webhook_retry_base_seconds=0.3,
                             webhook_retry_max_seconds=1.0, webhook_poll_seconds=0.1, webhook_timeout_seconds=5.0)
    yield settings
    if backend == "postgres":
        drop_schemas(settings.schema_prefix)


@pytest.fixture
def receiver():
    found, stop = start_receiver()
    yield found
    stop()


def started(client):
    """The app of a started client, once its background loop has done its first round (that day's pass)."""
    app = client.app.state.service
    deadline = time.monotonic() + 20
    while app.notice_loop.rounds < 1:
        assert time.monotonic() < deadline, "the notice loop did not run"
        time.sleep(0.05)
    return app


def subscribe(client, headers, url, **body):
    response = client.post("/v1/webhooks", json={"url": url, **body}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()
