"""The audit read models every service keeps: the time→version index and the Merkle leaves.

Both are written by the projector in the same transaction as its position, so they cover
exactly the events the read models have seen, each once. Rows are buffered per batch in the
transaction's ``memo`` and written with one ``executemany`` each (pipelined on PostgreSQL).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Notification

from shared.audit.merkle import leaf_hash, leaf_preimage, node_hash
from shared.persistence import Cursor
from shared.projection import Projection


def instant_text(instant: dt.datetime) -> str:
    """A fixed-width UTC text form of an instant, so that text order is time order."""
    if instant.tzinfo is None:
        raise ValueError("an instant needs a time zone")
    return instant.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


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

    INSERT = "INSERT INTO aggregate_versions (aggregate_id, version, recorded_at, notification_id) VALUES (?, ?, ?, ?)"

    def record(self, cur: Cursor, notification: Notification, event: Any) -> None:
        cur.memo.setdefault("aggregate_versions", []).append(
            (aggregate_text(notification.originator_id), notification.originator_version,
             instant_text(event.timestamp), notification.id)
        )

    def flush(self, cur: Cursor) -> None:
        cur.executemany(self.INSERT, cur.memo.pop("aggregate_versions", []))


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
            cur.executemany(
                "INSERT INTO merkle_leaves (leaf_index, notification_id, aggregate_id, version, topic, state_sha256,"
                " leaf_hash) VALUES (?, ?, ?, ?, ?, ?, ?)", frontier.leaves,
            )
            cur.executemany("INSERT INTO merkle_nodes (level, node_index, hash) VALUES (?, ?, ?)", frontier.nodes)
            frontier.leaves, frontier.nodes = [], []


class _Frontier:
    """The hashes of the complete subtrees a tree of ``size`` leaves decomposes into, largest first."""

    def __init__(self, size: int, subtrees: list[bytes]):
        self.size = size
        self.subtrees = subtrees
        self.leaves: list[tuple[Any, ...]] = []  # rows to write at flush
        self.nodes: list[tuple[Any, ...]] = []

    @classmethod
    def load(cls, cur: Cursor) -> _Frontier:
        row = cur.fetchone("SELECT MAX(leaf_index) AS last FROM merkle_leaves")
        size = 0 if row is None or row["last"] is None else int(row["last"]) + 1
        subtrees, start = [], 0
        for level in range(size.bit_length() - 1, -1, -1):
            if size >> level & 1:
                if level == 0:
                    found = cur.fetchone("SELECT leaf_hash AS hash FROM merkle_leaves WHERE leaf_index = ?", (start,))
                else:
                    found = cur.fetchone("SELECT hash FROM merkle_nodes WHERE level = ? AND node_index = ?",
                                         (level, start >> level))
                subtrees.append(bytes.fromhex(found["hash"]))
                start += 1 << level
        return cls(size, subtrees)
