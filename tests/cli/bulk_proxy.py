"""An HTTP proxy in front of the training service that a test steers, one bulk post at a time.

It forwards every request; for the Nth bulk post it can instead answer 503 (the storage
"unavailable", with ``Retry-After``), or forward it and then lose the answer: answer 202
(stored, no results), drop the connection at once, or hold it open until the test has killed
the client. It notes the event
ids of every bulk post it forwarded, so a test can tell what was never sent.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class BulkProxy:
    def __init__(self, target: str):
        self.target = target.rstrip("/")
        self.unavailable_at: set[int] = set()
        """Bulk posts answered 503 storage_unavailable without forwarding them (1 = the first)."""
        self.drop_answer_at: set[int] = set()
        """Bulk posts forwarded, whose answer is then dropped (the connection closed)."""
        self.accepted_at: set[int] = set()
        """Bulk posts forwarded, then answered 202 "recorded" without results (as when the answer cannot be built)."""
        self.hold_answer_at: int | None = None
        """A bulk post forwarded, whose answer is withheld until ``release`` (``held`` is set once stored)."""
        self.held = threading.Event()
        self.release = threading.Event()
        self.forwarded: list[str] = []
        """Event ids of every item of every forwarded bulk post, in order."""
        self.bulk_posts = 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> "BulkProxy":
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                self._forward(None)

            def do_POST(self) -> None:
                self._forward(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

            def _forward(self, body: bytes | None) -> None:
                number = 0
                if self.path.endswith("/bulk"):
                    with proxy._lock:
                        proxy.bulk_posts += 1
                        number = proxy.bulk_posts
                    if number in proxy.unavailable_at:
                        self._answer(503, {"Retry-After": "1", "Content-Type": "application/problem+json"},
                                     json.dumps({"status": 503, "code": "storage_unavailable",
                                                 "detail": "Storage is unavailable; try again shortly"}).encode())
                        return
                    proxy.forwarded += [item["event_id"] for item in json.loads(body or b"{}")["items"]]
                request = urllib.request.Request(proxy.target + self.path, data=body, method=self.command, headers={
                    k: v for k, v in self.headers.items() if k.lower() in ("authorization", "content-type", "accept")})
                try:
                    with urllib.request.urlopen(request, timeout=120) as response:
                        status, headers, answer = response.status, dict(response.headers), response.read()
                except urllib.error.HTTPError as error:
                    status, headers, answer = error.code, dict(error.headers), error.read()
                if number in proxy.accepted_at and status == 200:
                    self._answer(202, {"Content-Type": "application/json"}, json.dumps({
                        "status": "recorded", "stored": [], "detail": "The change is stored."}).encode())
                    return
                if number in proxy.drop_answer_at:
                    self.close_connection = True
                    return
                if number and number == proxy.hold_answer_at:
                    proxy.held.set()
                    proxy.release.wait(60)
                    self.close_connection = True
                    return
                self._answer(status, headers, answer)

            def _answer(self, status: int, headers: dict[str, str], body: bytes) -> None:
                self.send_response(status)
                for name in ("Content-Type", "Retry-After"):
                    if name in headers:
                        self.send_header(name, headers[name])
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler
