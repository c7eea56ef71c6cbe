"""Read-model rows kept in memory while their read model's version has not moved.

A request asks ``Projector.versions(...)`` (one query, together with the log's head) and then
takes rows from a ``VersionedCache``: rows loaded at the same version are current, because every
event that changes the read model moves its version, whichever replica applied it. So a key
revoked or a course withdrawn through any replica is seen by the very next request everywhere.
"""

from __future__ import annotations

import threading
from typing import Callable, Generic, Hashable, TypeVar

V = TypeVar("V")


class VersionedCache(Generic[V]):
    """Values by key, each remembered with the read-model version it was loaded at."""

    def __init__(self, max_entries: int = 10_000):
        self.max_entries = max_entries
        self._entries: dict[Hashable, tuple[int, V]] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, version: int, load: Callable[[], V | None]) -> V | None:
        """The value of ``key`` at ``version``: from memory if loaded at that version, else ``load()``.

        ``None`` from ``load`` (nothing found) is not remembered, so unknown keys cannot fill memory.
        """
        entry = self._entries.get(key)
        if entry is not None and entry[0] == version:
            return entry[1]
        value = load()
        if value is not None:
            with self._lock:
                if len(self._entries) >= self.max_entries:
                    self._entries.clear()  # rare: more live keys than entries; start again
                self._entries[key] = (version, value)
        return value
