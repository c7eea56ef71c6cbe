"""Sending what the outbox holds: Standard Webhooks requests, retried with a doubling wait, each attempt logged.

One replica delivers at a time (a lease row); a delivery whose process stops between sending and
recording is sent again by the next one with the same ``webhook-id``, so a receiver that dedupes
on it sees each notice once. Every attempt is a new row of ``webhook_attempts``; nothing there
is ever changed.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import urllib.error
import urllib.request
import uuid
from typing import Any

from prometheus_client import Counter
from standardwebhooks.webhooks import Webhook

from services.credential.domain.webhook_addresses import checked_url, signing_secret
from shared.errors import Invalid
from shared.persistence import ReadStore
from shared.settings import Settings

log = logging.getLogger("carecred.notices")
USER_AGENT = "carecred-notices/1 (Standard Webhooks)"
ATTEMPTS = Counter("carecred_webhook_attempts_total",
                   "Webhook delivery attempts: delivered (2xx), failed (retried later) or given_up (the last one failed)",
                   ["outcome"])


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A receiver's redirect is an answer like any other (recorded, retried), never followed."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirects())


def backoff(settings: Settings, failed_attempts: int) -> float:
    """Seconds to wait after the n-th failed attempt: the base, doubled each time, capped."""
    return min(settings.webhook_retry_base_seconds * 2 ** (failed_attempts - 1), settings.webhook_retry_max_seconds)


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat()


class Deliverer:
    """Delivers the due notices of one application's outbox."""

    def __init__(self, store: ReadStore, settings: Settings, service_secret: bytes):
        self.store = store
        self.settings = settings
        self.service_secret = service_secret
        self.holder = uuid.uuid4().hex

    def deliver_due(self, *, limit: int = 100) -> int:
        """Attempt every delivery that is due (up to ``limit``); how many were attempted."""
        now = _iso(dt.datetime.now(dt.UTC))
        if self.store.query_one("SELECT 1 AS due FROM webhook_pending WHERE due_at <= ? LIMIT 1", (now,)) is None:
            return 0  # the usual round: one read, no write
        if not self._take_lease():
            return 0
        try:
            rows = self.store.query(
                "SELECT o.webhook_id, o.payload, s.subscription_id, s.url, s.salt, s.status FROM webhook_pending p"
                " JOIN webhook_outbox o ON o.webhook_id = p.webhook_id"
                " JOIN webhook_subscriptions s ON s.subscription_id = o.subscription_id"
                " WHERE p.due_at <= ? ORDER BY p.due_at, o.webhook_id LIMIT ?",
                (now, limit),
            )
            attempted = 0
            for row in rows:
                if attempted and not self._take_lease():  # renewed before each attempt: a receiver may be slow
                    break
                self._attempt(row)
                attempted += 1
            return attempted
        finally:
            self._release_lease()

    def _attempt(self, row: Any) -> None:
        webhook_id = row["webhook_id"]
        if row["status"] != "active":  # ended meanwhile: nothing more is sent to it
            with self.store.transaction(commit=True) as cur:
                cur.execute("DELETE FROM webhook_pending WHERE webhook_id = ?", (webhook_id,))
            return
        done = self.store.query_one("SELECT COUNT(*) AS n FROM webhook_attempts WHERE webhook_id = ?", (webhook_id,))
        attempt = int(done["n"]) + 1
        status, error, took = self._send(row)
        delivered = status is not None and 200 <= status < 300
        final = not delivered and attempt >= self.settings.webhook_max_attempts
        at = dt.datetime.now(dt.UTC)
        with self.store.transaction(commit=True) as cur:
            cur.execute(
                "INSERT INTO webhook_attempts (webhook_id, attempt, at, status_code, error, duration_ms, delivered, final)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (webhook_id, attempt, _iso(at), status, error, took, delivered, final),
            )
            if delivered or final:
                cur.execute("DELETE FROM webhook_pending WHERE webhook_id = ?", (webhook_id,))
            else:
                due = at + dt.timedelta(seconds=backoff(self.settings, attempt))
                cur.execute("UPDATE webhook_pending SET due_at = ? WHERE webhook_id = ?", (_iso(due), webhook_id))
        ATTEMPTS.labels("delivered" if delivered else "given_up" if final else "failed").inc()
        if not delivered:
            log.warning("webhook %s attempt %d to subscription %s failed: %s", webhook_id, attempt,
                        row["subscription_id"], error or f"HTTP {status}")

    def _send(self, row: Any) -> tuple[int | None, str | None, int]:
        """POST the notice, signed now; (status code or None, error or None, milliseconds)."""
        started = time.monotonic()
        try:
            url = checked_url(row["url"], allow_loopback_http=self.settings.webhook_allow_loopback_http)
        except Invalid as exc:
            return None, exc.detail, 0
        body = row["payload"]
        secret = signing_secret(self.service_secret, row["subscription_id"], row["salt"])
        now = dt.datetime.now(dt.UTC)
        headers = {
            "Content-Type": "application/json", "User-Agent": USER_AGENT, "webhook-id": row["webhook_id"],
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": Webhook(secret).sign(row["webhook_id"], now, body),
        }
        request = urllib.request.Request(url, data=body.encode(), headers=headers, method="POST")
        try:
            with _opener.open(request, timeout=self.settings.webhook_timeout_seconds) as response:
                response.read(65536)
                status, error = int(response.status), None
        except urllib.error.HTTPError as exc:
            status, error = int(exc.code), None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            status, error = None, f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}"[:300]
        return status, error, int((time.monotonic() - started) * 1000)

    # One deliverer at a time ------------------------------------------------------------------

    def _take_lease(self) -> bool:
        now = dt.datetime.now(dt.UTC)
        lock = " FOR UPDATE" if self.store.is_postgres else ""
        with self.store.transaction(commit=True) as cur:
            row = cur.fetchone(f"SELECT holder, until FROM webhook_lease WHERE name = 'deliver'{lock}")
            if row["holder"] not in ("", self.holder) and row["until"] > _iso(now):
                return False
            # Renewed before each attempt, so it need only outlast one: a replica that died holding it
            # delays the others' deliveries by this much at most.
            lease = max(30.0, 3 * self.settings.webhook_timeout_seconds)
            cur.execute("UPDATE webhook_lease SET holder = ?, until = ? WHERE name = 'deliver'",
                        (self.holder, _iso(now + dt.timedelta(seconds=lease))))
        return True

    def _release_lease(self) -> None:
        with self.store.transaction(commit=True) as cur:
            cur.execute("UPDATE webhook_lease SET holder = '', until = '' WHERE name = 'deliver' AND holder = ?",
                        (self.holder,))
