"""The notice loop: the day's pass once a day and the due deliveries, every ``webhook_poll_seconds``.

The running credential service starts it (``app.py``: on startup, stopped on shutdown); the
``carecred notices`` command does one pass or one delivery round without it.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading

from services.credential.application.notices import Notices
from shared.district import today
from shared.errors import DomainError
from shared.persistence import is_transient

log = logging.getLogger("carecred.notices")
MAX_PAUSE_SECONDS = 300.0
"""The longest pause of the loop after failed rounds (it doubles from the poll interval)."""


class NoticeLoop:
    """Runs ``Notices``' daily pass and deliveries in a daemon thread."""

    def __init__(self, notices: Notices):
        self.notices = notices
        self.settings = notices.settings
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._passed_day: dt.date | None = None
        self.rounds = 0
        """Rounds done (failed ones too)."""
        self._looked = False
        """Whether a round has brought the outbox up to date since the start."""

    def tick(self) -> None:
        """One round of the background loop: the day's pass once a day, then the due deliveries.

        With nobody subscribed, a round only reads (after the first, which brings the outbox up to
        date): the loop adds no writer to a store where notices are not used.
        """
        if self._looked and self.notices.app.store.query_one(
                "SELECT 1 AS found FROM webhook_subscriptions WHERE status = 'active' LIMIT 1") is None:
            return
        self._looked = True
        day = today()
        if self._passed_day != day:
            day, raised = self.notices.run_daily(on=day, actor={"key_id": None, "role": "system", "scope": None})
            self._passed_day = day
            if raised:
                log.info("notice pass of %s raised %d notice(s)", day, raised)
        self.notices.deliver_due()

    def start(self) -> None:
        """Run ``tick`` every ``webhook_poll_seconds`` in a daemon thread until ``stop``."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"{self.notices.app.service}-notices", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.settings.webhook_timeout_seconds + 5)
            self._thread = None

    def _run(self) -> None:
        pause = self.settings.webhook_poll_seconds
        while not self._stop.wait(pause):  # the first round a poll interval after the start, not during it
            try:
                self.tick()
                pause = self.settings.webhook_poll_seconds
            except DomainError as exc:  # a read model it needs is stalled (503): /ready and the metrics say so
                log.warning("notice round skipped: %s", exc.detail)
                pause = min(pause * 2, MAX_PAUSE_SECONDS)
            except Exception as exc:  # noqa: BLE001 - the storage is away, or a bug: the next round tries again
                if is_transient(exc):
                    log.warning("notice round failed: %s", exc)
                else:
                    log.exception("notice round failed")
                pause = min(pause * 2, MAX_PAUSE_SECONDS)
            self.rounds += 1
