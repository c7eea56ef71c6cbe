"""Check an exported log against a checkpoint an auditor kept, and name the first event that differs."""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator

import msgspec

from contracts.audit import Checkpoint, ExportLine
from shared.audit import checkpoint as signing
from shared.audit.merkle import CompactRange, leaf_hash, leaf_preimage
from shared.audit.projections import RECORDED_TIME_TOLERANCE

_LINE = msgspec.json.Decoder(ExportLine)
NAMED = 10
"""How many events of one kind of finding are named; the rest are counted."""

Authenticate = Callable[[ExportLine, bytes], "str | None"]
"""``authenticate(line, stored bytes)``: None when the service wrote this event, else why not."""


@dataclass
class Verification:
    """The outcome: problems found (empty means the export matches the checkpoint), and warnings."""

    events: int = 0
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    first_difference: str | None = None
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def note(self, kind: str, text: str, *, warning: bool = False) -> None:
        """Record one finding; past ``NAMED`` of a kind they are only counted (see ``close``)."""
        self.counts[kind] = self.counts.get(kind, 0) + 1
        if self.counts[kind] <= NAMED:
            (self.warnings if warning else self.problems).append(text)

    def close(self) -> None:
        for kind, count in self.counts.items():
            if count > NAMED:
                target = self.warnings if kind == "time" else self.problems
                target.append(f"... and {count - NAMED} more {_KINDS[kind]}")


_KINDS = {"auth": "events that are not authenticated", "order": "events out of order",
          "time": "events recorded before an earlier event"}


class _Sequence:
    """What must hold along the log: rising positions, each aggregate's versions 1, 2, 3, ..., and time."""

    def __init__(self, tolerance: dt.timedelta):
        self.tolerance = tolerance
        self.position = 0
        self.versions: dict[str, int] = {}
        self.latest: tuple[dt.datetime, str] | None = None

    def check(self, line: ExportLine, result: Verification) -> None:
        here = _describe(line.position, line.aggregate_id, line.version)
        if line.position <= self.position:
            result.note("order", f"{here} comes after position {self.position}: positions must rise along the log")
        self.position = max(self.position, line.position)
        previous = self.versions.get(line.aggregate_id, 0)
        if line.version != previous + 1:
            result.note("order", f"{here} follows version {previous} of its aggregate in the log"
                                 f" (version {previous + 1} expected): an event is missing or out of place")
        self.versions[line.aggregate_id] = max(previous, line.version)
        at = _instant(line.recorded_at)
        if at is None:
            return
        if self.latest is not None and at < self.latest[0] - self.tolerance:
            result.note("time", f"{here} was recorded at {line.recorded_at}, {_span(self.latest[0] - at)} before"
                                f" {self.latest[1]} earlier in the log: recorded time goes backwards", warning=True)
        if self.latest is None or at > self.latest[0]:
            self.latest = (at, f"position {line.position}")


def _instant(text: str | None) -> dt.datetime | None:
    try:
        at = dt.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return at if at.tzinfo is not None else None


def _span(delta: dt.timedelta) -> str:
    seconds = delta.total_seconds()
    return f"{seconds / 3600:.1f} h" if seconds >= 7200 else f"{seconds:.0f} s"


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
    authenticate: Authenticate | None = None,
    time_tolerance: dt.timedelta = RECORDED_TIME_TOLERANCE,
) -> Verification:
    """Recompute the leaves from the export's stored bytes and compare size and root with the checkpoint.

    ``live_leaves`` (the service's stored leaf rows in order, or ``reference_leaves`` of an
    export kept earlier) let the first differing event be named: the service computed its
    leaves when each event was first written. ``authenticate`` checks each event's tag (it
    needs the service's secret). Along the whole export, positions must rise and each
    aggregate's versions follow 1, 2, 3, ...; a recorded time more than ``time_tolerance``
    before an earlier event's is a warning.
    """
    result = Verification()
    sequence = _Sequence(time_tolerance)
    signed: list[str] = []  # what is wrong with the checkpoint or the part of the log it signs
    if (why := signing.verify(checkpoint, trusted_public_key)) is not None:
        signed.append(why)
    tree = CompactRange()
    root_at_checkpoint = tree.root() if checkpoint.tree_size == 0 else None
    for number, raw in enumerate(lines):
        if not raw.strip():
            continue
        try:
            line = _LINE.decode(raw)
            state = base64.b64decode(line.state, validate=True)
            leaf = leaf_hash(leaf_preimage(line.position, line.aggregate_id, line.version, line.topic, state))
        except (msgspec.DecodeError, ValueError) as exc:
            result.problems[:0] = [*signed, f"export line {number + 1} is not a valid export line: {exc}"]
            return result
        sequence.check(line, result)
        if authenticate is not None and (why := authenticate(line, state)) is not None:
            result.note("auth", f"{_describe(line.position, line.aggregate_id, line.version)} is not authenticated"
                                f" ({why}): it was not written by the service")
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
        signed.append(f"the export has {result.events} events, the checkpoint covers {checkpoint.tree_size}")
    elif root_at_checkpoint is not None and root_at_checkpoint.hex() != checkpoint.root_hash:
        signed.append(f"the root of the first {checkpoint.tree_size} exported events is {root_at_checkpoint.hex()},"
                      f" the checkpoint says {checkpoint.root_hash}")
    if result.first_difference and not signed:
        # Past the checkpoint nothing is signed yet, but the export still disagrees with the
        # leaves the service computed when each event was written.
        signed.append("the export differs from the leaves the service recorded as events were written")
    result.problems[:0] = signed
    if result.problems and result.first_difference:
        result.problems.append(f"first event that differs: {result.first_difference}")
    result.close()
    return result
