"""What auditors receive: event histories, past states, exports, checkpoints and Merkle proofs."""

from __future__ import annotations

from typing import Any

import msgspec


class HistoryEntry(msgspec.Struct, kw_only=True):
    """One stored event of an aggregate: when it was recorded, by whom, why, and what it said."""

    version: int
    position: int | None
    """Position in the service's notification log (None until the read models have caught up)."""
    recorded_at: str
    topic: str
    actor: dict[str, Any] | None
    reason: str | None
    body: dict[str, Any]


class AggregateHistory(msgspec.Struct, kw_only=True):
    """Every stored event of one aggregate, in version order."""

    aggregate_id: str
    events: list[HistoryEntry]


class AggregateAsOf(msgspec.Struct, kw_only=True):
    """An aggregate's state as the system had recorded it at an instant (recorded time)."""

    aggregate_id: str
    as_of: str
    version: int
    recorded_at: str
    """When the latest event at or before ``as_of`` was recorded."""
    topic: str
    state: dict[str, Any]


class ExportLine(msgspec.Struct, kw_only=True):
    """One line of the NDJSON export of a service's log, in notification order."""

    leaf_index: int
    position: int
    aggregate_id: str
    version: int
    topic: str
    recorded_at: str | None
    state: str
    """The stored bytes (after encryption, if enabled), base64."""
    event: dict[str, Any] | None
    """The decoded event body (None if the stored bytes do not decode)."""


class Checkpoint(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A signed statement of the log's Merkle tree: size, root hash (hex) and time."""

    service: str
    tree_size: int
    root_hash: str
    timestamp: str
    key_id: str
    public_key: str
    """The signer's Ed25519 public key (raw, base64); auditors pin it from /v1/audit/public-key."""
    signature: str
    """Ed25519 over ``carecred-checkpoint/v1\\n{service}\\n{tree_size}\\n{root_hash}\\n{timestamp}\\n``."""


class CheckpointKey(msgspec.Struct, kw_only=True):
    """The public key checkpoints of this service are signed with."""

    service: str
    algorithm: str
    key_id: str
    public_key: str


class InclusionProof(msgspec.Struct, kw_only=True):
    """RFC 9162 §2.1.3 inclusion proof of one event in the tree of ``tree_size`` leaves."""

    position: int
    leaf_index: int
    tree_size: int
    leaf_hash: str
    root_hash: str
    path: list[str]


class ConsistencyProof(msgspec.Struct, kw_only=True):
    """RFC 9162 §2.1.4 consistency proof: the tree of ``first`` leaves is a prefix of that of ``second``."""

    first: int
    second: int
    first_root: str
    second_root: str
    path: list[str]
