"""The audit read models every service keeps: the time→version index and the Merkle leaves.

Both are written by the projector in the same transaction as its position, so they cover
exactly the events the read models have seen, each once.
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

    ddl = [
        "CREATE TABLE IF NOT EXISTS aggregate_versions ("
        " aggregate_id TEXT NOT NULL, version BIGINT NOT NULL, recorded_at TEXT NOT NULL,"
        " notification_id BIGINT NOT NULL, PRIMARY KEY (aggregate_id, version))",
        "CREATE INDEX IF NOT EXISTS aggregate_versions_by_time ON aggregate_versions (aggregate_id, recorded_at)",
        "CREATE INDEX IF NOT EXISTS aggregate_versions_log_by_time ON aggregate_versions (recorded_at, notification_id)",
    ]
    tables = ["aggregate_versions"]

    def record(self, cur: Cursor, notification: Notification, event: Any) -> None:
        cur.execute(
            "INSERT INTO aggregate_versions (aggregate_id, version, recorded_at, notification_id) VALUES (?, ?, ?, ?)",
            (aggregate_text(notification.originator_id), notification.originator_version,
             instant_text(event.timestamp), notification.id),
        )


class MerkleProjection(Projection):
    """The leaves of the log's Merkle tree, and the hashes of its complete aligned subtrees."""

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
        row = cur.fetchone("SELECT MAX(leaf_index) AS last FROM merkle_leaves")
        index = 0 if row is None or row["last"] is None else int(row["last"]) + 1
        aggregate = aggregate_text(notification.originator_id)
        state = bytes(notification.state)
        leaf = leaf_hash(leaf_preimage(notification.id, aggregate, notification.originator_version, notification.topic, state))
        cur.execute(
            "INSERT INTO merkle_leaves (leaf_index, notification_id, aggregate_id, version, topic, state_sha256, leaf_hash)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (index, notification.id, aggregate, notification.originator_version, notification.topic,
             hashlib.sha256(state).hexdigest(), leaf.hex()),
        )
        # Close every complete aligned subtree that this leaf ends.
        level, right, i = 0, leaf, index
        while i & 1:
            if level == 0:
                left_row = cur.fetchone("SELECT leaf_hash AS hash FROM merkle_leaves WHERE leaf_index = ?", (i - 1,))
            else:
                left_row = cur.fetchone(
                    "SELECT hash FROM merkle_nodes WHERE level = ? AND node_index = ?", (level, i - 1)
                )
            right = node_hash(bytes.fromhex(left_row["hash"]), right)
            level, i = level + 1, i >> 1
            cur.execute("INSERT INTO merkle_nodes (level, node_index, hash) VALUES (?, ?, ?)", (level, i, right.hex()))
