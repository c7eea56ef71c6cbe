"""Structured logs with a request id, an access log line per request, and the metrics endpoint."""

from __future__ import annotations

import contextvars
import logging
import sys
import time
import uuid
from typing import Any

import msgspec
from litestar.datastructures import MutableScopeHeaders
from litestar.plugins.prometheus import PrometheusController
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from shared.http.auth import PUBLIC
from shared.metrics import REQUEST_SECONDS, REQUESTS

REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
access_log = logging.getLogger("carecred.access")
_ID_HEADER = "x-request-id"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, and any extras."""

    _STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": REQUEST_ID.get(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in self._STANDARD})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return msgspec.json.encode(entry).decode()


class _CurrentStderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is when a record is emitted, never to a stream replaced
    (and perhaps closed) since the handler was made, as the standard library's last resort does."""

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _: Any) -> None:
        pass


def configure_logging(level: str = "INFO") -> None:
    """Send carecred's logs to stderr as JSON lines: the process's own choice (``carecred serve``)."""
    handler = _CurrentStderr()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger("carecred")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


def default_logging(level: str) -> None:
    """The JSON logs, unless whoever runs the process has set up logging already (as
    ``logging.basicConfig`` does): ``carecred serve`` did, pytest has its handlers; plain
    ``uvicorn --factory`` did not. An app never replaces the process's own logging."""
    if logging.getLogger().handlers or logging.getLogger("carecred").handlers:
        return
    configure_logging(level)


_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "(unmatched)"
"""The ``path`` label of requests no route matched (404, 405): one series, however many paths are tried."""
_NOT_COUNTED = ("/metrics",)


def observed(app: ASGIApp, service: str) -> ASGIApp:
    """Every HTTP request: a request id (the caller's ``X-Request-ID`` or a new one) echoed on the
    response, one access-log line with the status really sent, and the request metrics.

    This wraps the whole Litestar app (see ``shared.http.app``), outside its exception handling,
    so requests refused before any handler runs are seen like the others: a missing or wrong key
    (401, 429), a path no route matches (404, 405), a body too large (413). Route middleware would
    miss them: Litestar answers those from the exception handler around its router.
    """

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(_ID_HEADER.encode(), b"").decode("latin-1")
        request_id = incoming if 0 < len(incoming) <= 100 and incoming.isprintable() else uuid.uuid4().hex
        token = REQUEST_ID.set(request_id)
        started = time.perf_counter()
        status = 500  # if the app fails without answering, the server answers 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableScopeHeaders.from_message(message)[_ID_HEADER] = request_id
            await send(message)

        try:
            await app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            user = scope.get("user")
            client = scope.get("client")
            access_log.info(
                "%s %s %s", scope["method"], scope["path"], status,
                extra={
                    "request_id": request_id, "method": scope["method"], "path": scope["path"], "status": status,
                    "duration_ms": round(seconds * 1000, 2), "client": client[0] if client else None,
                    "key_id": getattr(user, "key_id", None), "role": str(getattr(user, "role", "")) or None,
                },
            )
            if not scope["path"].startswith(_NOT_COUNTED):
                method = scope["method"] if scope["method"] in _METHODS else "OTHER"
                labels = (method, scope.get("path_template") or UNMATCHED, str(status), service)
                REQUESTS.labels(*labels).inc()
                REQUEST_SECONDS.labels(*labels).observe(seconds)
            REQUEST_ID.reset(token)

    return middleware


class MetricsController(PrometheusController):
    """Prometheus metrics: requests by route and status, latencies, events written, follower lag."""

    path = "/metrics"
    opt = {PUBLIC: True}
    include_in_schema = False
