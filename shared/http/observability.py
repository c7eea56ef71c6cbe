"""Structured logs with a request id, an access log line per request, and the metrics endpoint."""

from __future__ import annotations

import contextvars
import logging
import time
import uuid
from typing import Any

import msgspec
from litestar.datastructures import MutableScopeHeaders
from litestar.plugins.prometheus import PrometheusConfig, PrometheusController
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from shared.http.auth import PUBLIC

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


def configure_logging(level: str = "INFO") -> None:
    """Send carecred's logs to stderr as JSON lines (called by the servers, not by tests)."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger("carecred")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


def request_id_middleware(app: ASGIApp) -> ASGIApp:
    """Take the caller's X-Request-ID (or make one), log one access line, echo the id back."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(_ID_HEADER.encode(), b"").decode("latin-1")
        request_id = incoming if 0 < len(incoming) <= 100 and incoming.isprintable() else uuid.uuid4().hex
        token = REQUEST_ID.set(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableScopeHeaders.from_message(message)[_ID_HEADER] = request_id
            await send(message)

        try:
            await app(scope, receive, send_with_id)
        finally:
            user = scope.get("user")
            access_log.info(
                "%s %s %s", scope["method"], scope["path"], status,
                extra={
                    "method": scope["method"], "path": scope["path"], "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    "key_id": getattr(user, "key_id", None), "role": str(getattr(user, "role", "")) or None,
                },
            )
            REQUEST_ID.reset(token)

    return middleware


class MetricsController(PrometheusController):
    """Prometheus metrics: request rates and latencies, events written, follower lag."""

    path = "/metrics"
    opt = {PUBLIC: True}
    include_in_schema = False


def prometheus_config(service: str) -> PrometheusConfig:
    return PrometheusConfig(app_name=service, prefix="carecred", group_path=True, exclude=["^/metrics"])
