"""The audit read models every service keeps: the time→version index and the Merkle leaves.

Both are written by the projector in the same transaction as its position, so they cover
exactly the events the read models have seen, each once. Rows are buffered per batch in the
transaction's ``memo`` and written with one ``COPY`` each (PostgreSQL; SQLite: one ``executemany``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from typing import Any, Callable, Sequence
from uuid import UUID

from eventsourcing.persistence import Notification

from shared.audit.merkle import leaf_hash, leaf_preimage, node_hash
from shared.errors import UntrustedLog
from shared.metrics import EVENTS_REFUSED, RECORDED_TIME_BACKWARDS
from shared.persistence import Cursor
from shared.projection import Projection

RECORDED_TIME_TOLERANCE = dt.timedelta(seconds=60)
"""How far an event's recorded time may lie before the latest one already in the log without being flagged.

An event's time is taken when its command runs and its position when its transaction commits,
so concurrent writers (waiting up to 10 s for the table lock), group commit and clock skew
between replicas make small steps back normal. Larger ones mean a clock set back, events
reordered, or times written by someone else; the service logs and counts them,
``carecred audit verify`` flags them (exit 3).
"""

log = logging.getLogger("carecred.audit")


def instant_text(instant: dt.datetime) -> str:
    """A fixed-width UTC text form of an instant, so that text order is time order."""
    if instant.tzinfo is None:
        raise ValueError("an instant needs a time zone")
    return instant.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class EventOutOfOrder(UntrustedLog):
    """A stored event does not follow its aggregate's previous version in the log: rows were moved or removed."""

    code = "event_out_of_order"

    def __init__(self, aggregate_id: str, version: int, previous: int, position: int):
        self.aggregate_id, self.version, self.previous, self.position = aggregate_id, version, previous, position
        super().__init__(f"the stored event at position {position} is version {version} of its aggregate, but the"
                         f" log holds version {previous} before it: events were moved or removed")


def parse_instant(text: str) -> dt.datetime:
    """The instant of an ``instant_text``."""
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)


def aggregate_text(originator_id: UUID | str) -> str:
    return str(originator_id if isinstance(originator_id, UUID) else UUID(str(originator_id)))


class VersionIndexProjection(Projection):
    """Which version of which aggregate was recorded when (and at which log position)."""

    name = "aggregate_versions"

    ddl = [
        "CREATE TABLE IF NOT EXISTS aggregate_versions ("
        " aggregate_id TEXT NOT NULL, version BIGINT NOT NULL, recorded_at TEXT NOT NULL,"
        " notification_id BIGINT NOT NULL, PRIMARY KEY (aggregate_id, version))",
        "CREATE INDEX IF NOT EXISTS aggregate_versions_by_time ON aggregate_versions (aggregate_id, recorded_at)",
        "CREATE INDEX IF NOT EXISTS aggregate_versions_log_by_time ON aggregate_versions (recorded_at, notification_id)",
    ]
    tables = ["aggregate_versions"]

    COLUMNS = ("aggregate_id", "version", "recorded_at", "notification_id")

    def __init__(self, service: str = ""):
        self.service = service

    def record(self, cur: Cursor, notification: Notification, event: Any) -> None:
        self._check_time(cur, notification, event.timestamp)
        cur.memo.setdefault("aggregate_versions", []).append(
            (aggregate_text(notification.originator_id), notification.originator_version,
             instant_text(event.timestamp), notification.id)
        )

    def flush(self, cur: Cursor) -> None:
        cur.insert_rows("aggregate_versions", self.COLUMNS, cur.memo.pop("aggregate_versions", []))
        cur.memo.pop("latest_recorded", None)

    def check(self, cur: Cursor, notifications: list[Notification]) -> None:
        """Refuse the batch unless each aggregate's versions follow 1, 2, 3, ... along the log (one query).

        An event moved (by someone with the database) to a later position than a later version
        of its aggregate, or applied twice, stops here, before any read model sees it.
        """
        rows = [(aggregate_text(n.originator_id), n.originator_version, n.id) for n in notifications]
        last, latest = latest_versions(cur.fetchall, list(dict.fromkeys(row[0] for row in rows)))
        cur.memo["latest_recorded"] = parse_instant(latest) if latest else None
        for aggregate, version, position in rows:
            previous = last.get(aggregate, 0)
            if version != previous + 1:
                EVENTS_REFUSED.labels(self.service).inc()
                log.error("refused a stored event out of order", extra={
                    "service": self.service, "position": position, "aggregate_id": aggregate, "version": version,
                    "previous_version": previous,
                })
                raise EventOutOfOrder(aggregate, version, previous, position)
            last[aggregate] = version

    def _check_time(self, cur: Cursor, notification: Notification, at: dt.datetime) -> None:
        """Warn when this event was recorded well before the latest event already in the log."""
        latest: dt.datetime = cur.memo.get("latest_recorded") or at  # read by ``check``, once per batch
        if at < latest - RECORDED_TIME_TOLERANCE:
            RECORDED_TIME_BACKWARDS.labels(self.service).inc()
            log.warning("recorded time goes backwards along the log", extra={
                "service": self.service, "position": notification.id,
                "aggregate_id": aggregate_text(notification.originator_id), "version": notification.originator_version,
                "recorded_at": instant_text(at), "latest_recorded_before": instant_text(latest),
            })
        cur.memo["latest_recorded"] = max(latest, at)


def latest_versions(query: Callable[[str, Sequence[Any]], list[Any]], aggregates: list[str]
                    ) -> tuple[dict[str, int], str | None]:
    """The last version applied of each aggregate, and the latest recorded time so far, in one query.

    ``query`` is ``Cursor.fetchall`` or ``ReadStore.query``; both answers come from indexes.
    """
    marks = ", ".join("?" * len(aggregates)) or "NULL"
    found = query(
        f"SELECT aggregate_id, MAX(version) AS last, NULL AS latest FROM aggregate_versions"
        f" WHERE aggregate_id IN ({marks}) GROUP BY aggregate_id"
        " UNION ALL SELECT NULL, NULL, MAX(recorded_at) FROM aggregate_versions", aggregates,
    )
    latest = next((r["latest"] for r in found if r["aggregate_id"] is None), None)
    return {r["aggregate_id"]: int(r["last"]) for r in found if r["aggregate_id"] is not None}, latest


class MerkleProjection(Projection):
    """The leaves of the log's Merkle tree, and the hashes of its complete aligned subtrees."""

    name = "merkle"

    ddl = [
        "CREATE TABLE IF NOT EXISTS merkle_leaves ("
        " leaf_index BIGINT PRIMARY KEY, notification_id BIGINT NOT NULL UNIQUE, aggregate_id TEXT NOT NULL,"
        " version BIGINT NOT NULL, topic TEXT NOT NULL, state_sha256 TEXT NOT NULL, leaf_hash TEXT NOT NULL)",
        # node (level, i) is MTH of leaves [i * 2^level, (i + 1) * 2^level), level >= 1
        "CREATE TABLE IF NOT EXISTS merkle_nodes ("
        " level INTEGER NOT NULL, node_index BIGINT NOT NULL, hash TEXT NOT NULL, PRIMARY KEY (level, node_index))",
    ]
    tables = ["merkle_leaves", "merkle_nodes"]

    def record(self, cur: Cursor, notification: Notification, event: Any) -> None:
        frontier: _Frontier | None = cur.memo.get("merkle")
        if frontier is None:
            frontier = cur.memo["merkle"] = _Frontier.load(cur)
        index = frontier.size
        aggregate = aggregate_text(notification.originator_id)
        state = bytes(notification.state)
        leaf = leaf_hash(leaf_preimage(notification.id, aggregate, notification.originator_version, notification.topic, state))
        frontier.leaves.append((index, notification.id, aggregate, notification.originator_version, notification.topic,
                                hashlib.sha256(state).hexdigest(), leaf.hex()))
        # Close every complete aligned subtree that this leaf ends (its left siblings are on the frontier).
        level, right, i = 0, leaf, index
        while i & 1:
            right = node_hash(frontier.subtrees.pop(), right)
            level, i = level + 1, i >> 1
            frontier.nodes.append((level, i, right.hex()))
        frontier.subtrees.append(right)
        frontier.size += 1

    def flush(self, cur: Cursor) -> None:
        frontier: _Frontier | None = cur.memo.get("merkle")
        if frontier is not None:
            cur.insert_rows("merkle_leaves", ("leaf_index", "notification_id", "aggregate_id", "version", "topic",
                                              "state_sha256", "leaf_hash"), frontier.leaves)
            cur.insert_rows("merkle_nodes", ("level", "node_index", "hash"), frontier.nodes)
            frontier.leaves, frontier.nodes = [], []


class _Frontier:
    """The hashes of the complete subtrees a tree of ``size`` leaves decomposes into, largest first."""

    def __init__(self, size: int, subtrees: list[bytes]):
        self.size = size
        self.subtrees = subtrees
        self.leaves: list[tuple[Any, ...]] = []  # rows to write at flush
        self.nodes: list[tuple[Any, ...]] = []

    # One query: the tree's size and the hash of each complete subtree it decomposes into. For each
    # bit ``level`` set in the size, that subtree is node (level, (size >> level) - 1); level 0 is the
    # last leaf. Both databases walk the primary keys once per level.
    _LOAD = (
        "WITH RECURSIVE tree(size) AS (SELECT COALESCE(MAX(leaf_index) + 1, 0) FROM merkle_leaves),"
        " levels(level) AS (SELECT 1 UNION ALL SELECT level + 1 FROM levels WHERE level < 62)"
        " SELECT tree.size AS size, -1 AS level, NULL AS hash FROM tree"
        " UNION ALL SELECT tree.size, 0, l.leaf_hash FROM tree JOIN merkle_leaves l ON l.leaf_index = tree.size - 1"
        " WHERE (tree.size & 1) = 1"
        " UNION ALL SELECT tree.size, levels.level, n.hash FROM tree CROSS JOIN levels JOIN merkle_nodes n"
        " ON n.level = levels.level AND n.node_index = (tree.size >> levels.level) - 1"
        " WHERE ((tree.size >> levels.level) & 1) = 1"
    )

    @classmethod
    def load(cls, cur: Cursor) -> _Frontier:
        rows = cur.fetchall(cls._LOAD)
        size = int(rows[0]["size"])
        by_level = {int(r["level"]): r["hash"] for r in rows if int(r["level"]) >= 0}
        subtrees = [bytes.fromhex(by_level[level])  # largest first; a missing node fails loudly (KeyError)
                    for level in range(size.bit_length() - 1, -1, -1) if size >> level & 1]
        return cls(size, subtrees)
