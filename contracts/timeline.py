"""An auditor's timeline of one person: everything recorded about them, in log order, each with its proof."""

from __future__ import annotations

from typing import Any

import msgspec


class TimelineEntry(msgspec.Struct, kw_only=True):
    """One recorded fact about the person: an event of this service's log, or training totals received on the feed."""

    kind: str
    """registration, certificate, assignment, badge, integrity, transfer, finding (an inspection finding about the
    person), inspection_scan (a scan of their badge on a visit; ``originator_id`` is the visit) or training"""
    recorded_at: str
    topic: str
    summary: str
    position: int | None
    """The event's position in this service's log (None for training totals: they are the training service's)."""
    originator_id: str | None
    version: int | None
    event: str | None
    """The aggregate's whole history: ``/v1/audit/aggregates/{originator_id}/history``."""
    proof: str | None
    """The event's inclusion proof in the tree of ``tree_size`` leaves."""
    source_position: int | None = None
    """Training totals: the training service's feed position they came from (prove it in that service's log)."""
    body: dict[str, Any] | None = None


class PersonTimeline(msgspec.Struct, kw_only=True):
    """Everything recorded about a person, in the order recorded, as recorded at ``as_of`` (now if None)."""

    staff_id: str
    name: str
    as_of: str | None
    tree_size: int
    """The tree the proofs are of."""
    entries: list[TimelineEntry]
