"""Check an exported log against a checkpoint an auditor kept, and name the first event that differs."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator

import msgspec

from contracts.audit import Checkpoint, ExportLine
from shared.audit import checkpoint as signing
from shared.audit.merkle import CompactRange, leaf_hash, leaf_preimage

_LINE = msgspec.json.Decoder(ExportLine)


@dataclass
class Verification:
    """The outcome: problems found (empty means the export matches the checkpoint)."""

    events: int = 0
    problems: list[str] = field(default_factory=list)
    first_difference: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def reference_leaves(lines: Iterable[bytes]) -> Iterator[dict[str, Any]]:
    """Leaf rows recomputed from an export kept earlier (to name differences without the live service)."""
    for raw in lines:
        if raw.strip():
            line = _LINE.decode(raw)
            leaf = leaf_hash(leaf_preimage(line.position, line.aggregate_id, line.version, line.topic,
                                           base64.b64decode(line.state, validate=True)))
            yield {"notification_id": line.position, "aggregate_id": line.aggregate_id, "version": line.version,
                   "leaf_hash": leaf.hex()}


def _describe(position: Any, aggregate: Any, version: Any) -> str:
    return f"position {position} (aggregate {aggregate}, version {version})"


def verify_export(
    lines: Iterable[bytes],
    checkpoint: Checkpoint,
    trusted_public_key: bytes,
    live_leaves: Iterator[Any] | None = None,
) -> Verification:
    """Recompute the leaves from the export's stored bytes and compare size and root with the checkpoint.

    ``live_leaves`` (the service's stored leaf rows in order, or ``reference_leaves`` of an
    export kept earlier) let the first differing event be named: the service computed its
    leaves when each event was first written.
    """
    result = Verification()
    if (why := signing.verify(checkpoint, trusted_public_key)) is not None:
        result.problems.append(why)
    tree = CompactRange()
    root_at_checkpoint = tree.root() if checkpoint.tree_size == 0 else None
    for number, raw in enumerate(lines):
        if not raw.strip():
            continue
        try:
            line = _LINE.decode(raw)
            leaf = leaf_hash(leaf_preimage(line.position, line.aggregate_id, line.version, line.topic,
                                           base64.b64decode(line.state, validate=True)))
        except (msgspec.DecodeError, ValueError) as exc:
            result.problems.append(f"export line {number + 1} is not a valid export line: {exc}")
            return result
        index = result.events
        result.events += 1
        if index < checkpoint.tree_size:
            tree.append(leaf)
            if tree.size == checkpoint.tree_size:
                root_at_checkpoint = tree.root()
        if live_leaves is not None and result.first_difference is None:
            recorded = next(live_leaves, None)
            if recorded is None:
                live_leaves = None  # the service has not written these leaves yet: nothing to compare with
            elif recorded["leaf_hash"] != leaf.hex():
                here = _describe(line.position, line.aggregate_id, line.version)
                was = _describe(recorded["notification_id"], recorded["aggregate_id"], recorded["version"])
                if here == was:
                    result.first_difference = f"leaf {index}: the event at {here} was altered (its stored bytes or topic differ)"
                else:
                    result.first_difference = (f"leaf {index}: the event at {was} is missing or out of place;"
                                               f" the export has {here} there")
    if live_leaves is not None and result.first_difference is None and result.events < checkpoint.tree_size:
        recorded = next(live_leaves, None)
        if recorded is not None:
            was = _describe(recorded["notification_id"], recorded["aggregate_id"], recorded["version"])
            result.first_difference = f"leaf {result.events}: the event at {was} is missing from the export"
    if result.events < checkpoint.tree_size:
        result.problems.append(f"the export has {result.events} events, the checkpoint covers {checkpoint.tree_size}")
    elif root_at_checkpoint is not None and root_at_checkpoint.hex() != checkpoint.root_hash:
        result.problems.append(f"the root of the first {checkpoint.tree_size} exported events is {root_at_checkpoint.hex()},"
                               f" the checkpoint says {checkpoint.root_hash}")
    if result.first_difference and not result.problems:
        # Past the checkpoint nothing is signed yet, but the export still disagrees with the
        # leaves the service computed when each event was written.
        result.problems.append("the export differs from the leaves the service recorded as events were written")
    if result.problems and result.first_difference:
        result.problems.append(f"first event that differs: {result.first_difference}")
    return result
