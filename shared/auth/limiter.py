"""Failed authentication is rate-limited per client, so keys cannot be guessed at speed."""

from __future__ import annotations

import threading
import time
from collections import deque


class FailureLimiter:
    """At most ``limit`` failed authentications per client within ``window`` seconds.

    Kept in each process's memory: with N replicas a client gets at most N times the limit,
    which still makes guessing a 256-bit key hopeless.
    """

    def __init__(self, limit: int = 10, window: float = 60.0, max_clients: int = 10_000):
        self.limit = limit
        self.window = window
        self.max_clients = max_clients
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, client: str) -> int:
        """Seconds the client must wait, or 0 if it may try now."""
        now = time.monotonic()
        with self._lock:
            failures = self._failures.get(client)
            if not failures:
                return 0
            while failures and failures[0] <= now - self.window:
                failures.popleft()
            if len(failures) < self.limit:
                return 0
            return max(1, int(failures[0] + self.window - now) + 1)

    def record_failure(self, client: str) -> None:
        now = time.monotonic()
        with self._lock:
            if len(self._failures) >= self.max_clients and client not in self._failures:
                self._forget_idle(now)
            self._failures.setdefault(client, deque()).append(now)

    def _forget_idle(self, now: float) -> None:
        for client in [c for c, f in self._failures.items() if not f or f[-1] <= now - self.window]:
            del self._failures[client]
        if len(self._failures) >= self.max_clients:  # all busy: drop the oldest entries
            for client in sorted(self._failures, key=lambda c: self._failures[c][-1])[: self.max_clients // 10]:
                del self._failures[client]
