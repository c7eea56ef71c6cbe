"""Following another service's feed, with exactly-once effect.

Each page is applied in one transaction together with the new position, so a crash or a
restart at any point neither loses nor doubles an event. While the other service is down
the follower keeps trying with a growing pause and reports its lag and last error.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
import urllib.error
import urllib.request
from typing import Any, Callable, Sequence

import msgspec

from shared.metrics import FOLLOWER_LAG, FOLLOWER_UP
from shared.persistence import Cursor, ReadStore, is_transient

log = logging.getLogger("carecred.follower")

Apply = Callable[[Cursor, Any, int], None]
"""Applies one public event (at its position) to the follower's own tables."""


class FollowerStatus(msgspec.Struct, kw_only=True):
    """How far this service has followed the other one's feed."""

    source: str
    configured: bool
    position: int
    head: int | None
    lag: int | None
    last_success_at: dt.datetime | None
    error: str | None
    stalled: bool = False
    """True when the last page could be fetched but not applied (not the network, not the database being
    away): the tables it keeps stay where they are until that is fixed, and ``/ready`` says not ready."""


class Follower:
    """Polls ``<url>/v1/feed`` and applies each page with its position in one transaction."""

    def __init__(
        self,
        *,
        service: str,
        name: str,
        store: ReadStore,
        base_url: str,
        token: str,
        page_type: Any,
        apply: Apply,
        interval: float = 0.5,
        page_size: int = 500,
        ddl: Sequence[str] = (),
    ):
        self.service = service
        self.name = name
        self.store = store
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.decoder = msgspec.json.Decoder(page_type)
        self.apply = apply
        self.interval = interval
        self.page_size = page_size
        self.ddl = list(ddl)
        """The tables ``apply`` writes, created with the follower's own (see ``create_tables``)."""
        self.after_applied: Callable[[], Any] | None = None
        """Run after every successful poll, outside the page's transaction (the training service restates the
        year totals of people whose assignments the page changed); an error shows in the status, retried next poll."""
        self.head: int | None = None
        self.last_success_at: dt.datetime | None = None
        self.error: str | None = None
        self.stalled = False
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def create_tables(self) -> None:
        with self.store.transaction(commit=True) as cur:
            for statement in self.ddl:
                cur.execute(statement)
            cur.execute(
                "CREATE TABLE IF NOT EXISTS follower_position ("
                " name TEXT PRIMARY KEY, position BIGINT NOT NULL, updated_at TEXT NOT NULL)"
            )
            cur.execute(
                "INSERT INTO follower_position (name, position, updated_at) VALUES (?, 0, ?)"
                " ON CONFLICT (name) DO NOTHING",
                (self.name, _now().isoformat()),
            )

    @property
    def configured(self) -> bool:
        return bool(self.base_url and self.token)

    def reread(self) -> int:
        """Read the feed again from its start (the next poll re-applies every event; ``apply`` must be
        idempotent); the position it was at."""
        with self.store.transaction(commit=True) as cur:
            row = cur.fetchone("SELECT position FROM follower_position WHERE name = ?", (self.name,))
            cur.execute("UPDATE follower_position SET position = 0, updated_at = ? WHERE name = ?",
                        (_now().isoformat(), self.name))
        return int(row["position"]) if row else 0

    def position(self) -> int:
        row = self.store.query_one("SELECT position FROM follower_position WHERE name = ?", (self.name,))
        return int(row["position"]) if row else 0

    def up_to_date_as_of(self) -> dt.datetime | None:
        """When this follower last knew it had everything (a successful poll, or the last applied page)."""
        if self.last_success_at is not None:
            return self.last_success_at
        row = self.store.query_one("SELECT position, updated_at FROM follower_position WHERE name = ?", (self.name,))
        return dt.datetime.fromisoformat(row["updated_at"]) if row and int(row["position"]) > 0 else None

    def status(self) -> FollowerStatus:
        position = self.position()
        lag = None if self.head is None else max(self.head - position, 0)
        return FollowerStatus(
            source=self.base_url, configured=self.configured, position=position, head=self.head,
            lag=lag, last_success_at=self.last_success_at, error=self.error, stalled=self.stalled,
        )

    def poll_once(self, fetch: Callable[[int], Any] | None = None) -> int:
        """Fetch and apply pages until caught up; return how many events were applied.

        ``fetch``: the page after a position, instead of over HTTP (the demo seeds both services in one process)."""
        applied = 0
        while True:
            after = self.position()
            page = (fetch or self._fetch)(after)
            self.head = page.head
            if page.next_after <= after:
                break
            self._apply_page(after, page)
            applied += len(page.items)
            if page.next_after >= page.head:
                break
        if self.after_applied is not None:
            self.after_applied()
        self.last_success_at = _now()
        self.error = None
        self.stalled = False
        FOLLOWER_UP.labels(self.service, self.name).set(1)
        FOLLOWER_LAG.labels(self.service, self.name).set(max((self.head or 0) - self.position(), 0))
        return applied

    def _fetch(self, after: int) -> Any:
        request = urllib.request.Request(
            f"{self.base_url}/v1/feed?after={after}&limit={self.page_size}",
            headers={"Authorization": f"Bearer {self.token}", "Accept": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return self.decoder.decode(response.read())

    def _apply_page(self, after: int, page: Any) -> None:
        lock = " FOR UPDATE" if self.store.is_postgres else ""
        with self.store.transaction(commit=True) as cur:
            row = cur.fetchone(f"SELECT position FROM follower_position WHERE name = ?{lock}", (self.name,))
            if int(row["position"]) != after:
                return  # another replica applied this page first
            for item in page.items:
                self.apply(cur, item.event, item.position)
            cur.execute(
                "UPDATE follower_position SET position = ?, updated_at = ? WHERE name = ?",
                (page.next_after, _now().isoformat(), self.name),
            )

    # Background thread ------------------------------------------------------------------------

    def start(self) -> None:
        if not self.configured or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name=f"follow-{self.name}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def nudge(self) -> None:
        """Poll now instead of at the next interval."""
        self._wake.set()

    def _run(self) -> None:
        pause = self.interval
        while not self._stop.is_set():
            pause = self.interval if self.attempt() else min(pause * 2, 10.0)
            self._wake.wait(pause)
            self._wake.clear()

    def attempt(self) -> bool:
        """Poll once, recording the outcome in the status (never raises); True when it succeeded."""
        try:
            self.poll_once()
            return True
        except (urllib.error.URLError, OSError, msgspec.DecodeError, json.JSONDecodeError) as exc:
            self._failed(f"{type(exc).__name__}: {exc}")
        except Exception as exc:  # noqa: BLE001 - keep following; the status shows the error
            log.exception("follower %s failed at position %d", self.name, self.position())
            self._failed(f"{type(exc).__name__}: {exc}", stalled=not is_transient(exc))
        return False

    def _failed(self, error: str, *, stalled: bool = False) -> None:
        self.error = error
        self.stalled = stalled
        FOLLOWER_UP.labels(self.service, self.name).set(0)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
