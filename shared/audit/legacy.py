"""Events stored before the service authenticated its events: sealed once, accepted only where sealed.

A store written by an earlier version of carecred holds events without a tag
(``shared.audit.authentication``). They stay as they are: history is append-only. The first
time this version opens such a store (``carecred db migrate``, or the service's own start),
before it writes anything, it *seals* them, in the table ``audit_legacy_seal``:

* the legacy region is every event before the first authenticated one in the log;
* one row per aggregate with events there: its last version in the region;
* one summary row (aggregate id ``''``): the last position of the region, i.e. "authenticated
  from position N + 1 on" (0 for a store that never held an unauthenticated event).

Every row carries a tag keyed like the events' tags, and rows whose tag does not verify are
ignored: inserting rows achieves nothing without the secret, deleting them only makes the
service refuse the old events (loudly). From then on an event without a valid tag is accepted
only where the seal covers it: at a log position inside the region (the projector, the feed
and ``carecred audit verify`` know positions), or, when an aggregate is loaded (positions are
not known there), at a version no later than the aggregate's sealed last version. The content
of the old events is protected as before: by the Merkle leaves written when each was first
projected and by the signed checkpoints (so verify the store against your last kept checkpoint
before upgrading).
"""

from __future__ import annotations

from hmac import compare_digest
from typing import Any
from uuid import UUID

from shared.audit.authentication import EventAuthenticator
from shared.persistence import ReadStore

SUMMARY = ""
PAGE = 1000
_CACHE_LIMIT = 100_000

DDL = [
    "CREATE TABLE IF NOT EXISTS audit_legacy_seal ("
    " aggregate_id TEXT NOT NULL, last_version BIGINT NOT NULL, tag TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS audit_legacy_seal_by_aggregate ON audit_legacy_seal (aggregate_id)",
]
TABLES = ["audit_legacy_seal"]


class LegacySeal:
    """Which unauthenticated events of one service's store are old events, not forgeries."""

    def __init__(self, store: ReadStore, authenticator: EventAuthenticator):
        self.store = store
        self.authenticator = authenticator
        self.through: int | None = None
        """The last log position of the legacy region (0: none); None until loaded."""
        self._versions: dict[str, int] = {}

    def _sealed(self, aggregate: str) -> int:
        """The largest last version recorded for ``aggregate`` by a row whose tag verifies (0 if none)."""
        rows = self.store.query("SELECT last_version, tag FROM audit_legacy_seal WHERE aggregate_id = ?", (aggregate,))
        return max((int(r["last_version"]) for r in rows if self._verifies(aggregate, r)), default=0)

    def _verifies(self, aggregate: str, row: Any) -> bool:
        return compare_digest(self.authenticator.seal_tag(aggregate, int(row["last_version"])), str(row["tag"]))

    def load(self) -> bool:
        """Read the summary row; False when the store was never sealed (or the summary does not verify)."""
        rows = self.store.query("SELECT last_version, tag FROM audit_legacy_seal WHERE aggregate_id = ?", (SUMMARY,))
        valid = [int(r["last_version"]) for r in rows if self._verifies(SUMMARY, r)]
        if not valid:
            return False
        self.through = max(valid)
        return True

    def ensure(self, app: Any) -> int:
        """Seal the store's unauthenticated events once, if not done yet; return the region's last position."""
        if self.load():
            return self.through or 0
        through = self._legacy_region(app)
        rows: list[tuple[str, int, str]] = []
        if through:
            id_column = "notification_id" if self.store.is_postgres else "rowid"
            table = app.recorder.events_table_name
            for r in self.store.query(
                f"SELECT originator_id, MAX(originator_version) AS last FROM {table}"
                f" WHERE {id_column} BETWEEN 1 AND ? GROUP BY originator_id", (through,),
            ):
                aggregate = str(UUID(str(r["originator_id"])))
                rows.append((aggregate, int(r["last"]), self.authenticator.seal_tag(aggregate, int(r["last"]))))
        rows.append((SUMMARY, through, self.authenticator.seal_tag(SUMMARY, through)))
        with self.store.transaction(commit=True) as cur:
            cur.executemany("INSERT INTO audit_legacy_seal (aggregate_id, last_version, tag) VALUES (?, ?, ?)", rows)
        self.through = through
        return through

    def _legacy_region(self, app: Any) -> int:
        """The position of the last event before the first authenticated one (0 if the first one is)."""
        last = 0
        while True:
            page = app.recorder.select_notifications(start=last, limit=PAGE, inclusive_of_start=False)
            if not page:
                return last
            for n in page:
                inner, _ = self.authenticator.unwrap(n.originator_id, n.originator_version, n.topic, bytes(n.state))
                if inner is not None:
                    return last
                last = n.id

    def covers(self, aggregate_id: UUID | str, version: int, position: int | None) -> bool:
        """True when an event without a valid tag at this place is one of the sealed old events."""
        if not self.through:
            return False
        if position is not None:
            return 1 <= position <= self.through
        aggregate = str(aggregate_id if isinstance(aggregate_id, UUID) else UUID(str(aggregate_id)))
        sealed = self._versions.get(aggregate)
        if sealed is None:
            sealed = self._sealed(aggregate)
            if len(self._versions) >= _CACHE_LIMIT:
                self._versions.clear()
            self._versions[aggregate] = sealed  # the seal never changes once written
        return 1 <= version <= sealed
