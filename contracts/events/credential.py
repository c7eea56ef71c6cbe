"""Events the credential service publishes: who is registered and where they work.

No personal data beyond what the training service needs: the staff id, and the keyed hash
of the ID number for national-ID lookup — never the number itself, never the name. The monthly
inspection draws are published too, for auditors following the feed (the training service
ignores them); visits and findings are not (they name people): auditors read them in /v1/audit.
"""

from __future__ import annotations

import datetime as dt

import msgspec

from contracts.events.feed import FeedPage


class StaffRegistered(msgspec.Struct, tag="staff.registered.v1", kw_only=True, frozen=True):
    """A person was entered in the staff registry."""

    staff_id: str
    id_hash: str
    registered_by: str | None = None
    """The registering nursery, if any."""


class StaffAssigned(msgspec.Struct, tag="staff.assigned.v1", kw_only=True, frozen=True):
    """A person was assigned to a role at a nursery from a date."""

    assignment_id: str
    staff_id: str
    nursery_id: str
    role: str
    starts_on: dt.date


class AssignmentEnded(msgspec.Struct, tag="staff.assignment-ended.v1", kw_only=True, frozen=True):
    """A person's assignment at a nursery ended."""

    assignment_id: str
    staff_id: str
    nursery_id: str
    ends_on: dt.date


class DrawRoundBase(msgspec.Struct, kw_only=True):
    """A round of a month's 双随机 draw as announced: its number, the reason of a redraw, and every input but the
    seed and the beacon value. The announcement event and the HTTP view (``contracts.inspections.DrawRound``)
    both extend it; as a base it has no schema of its own (each subclass lists its fields)."""

    round: int
    reason: str | None = None
    count: int
    weighting: str
    pool: list[str]
    inspectors: list[str]
    conflicts: list[list[str]]
    """[inspector_id, nursery_id] pairs declared when the round was announced."""
    previous: list[str]
    """Nurseries drawn the month before (drawn again only once the others are exhausted)."""
    commitment: str
    beacon_source: str
    beacon_on: dt.date


class InspectionDrawAnnounced(DrawRoundBase, tag="inspection.draw-announced.v1", frozen=True):
    """A month's 双随机 draw announced (or, with ``round`` > 1 and a ``reason``, announced again: a redraw):
    every input but the seed and the beacon value, fixed before the result can be known (docs/inspections.md)."""

    month: str
    """Not keyword-only, unlike the base's fields: so it comes first on the wire, as it always has."""


class InspectionDrawn(msgspec.Struct, tag="inspection.drawn.v1", kw_only=True, frozen=True):
    """The draw made: the seed revealed, the beacon value, the log root after the announcement, the pairs
    ([nursery_id, inspector_id]); anyone recomputes them from these and the announcement."""

    month: str
    round: int
    seed: str
    beacon: str
    log_size: int
    log_root: str
    pairs: list[list[str]]


CredentialEvent = StaffRegistered | StaffAssigned | AssignmentEnded | InspectionDrawAnnounced | InspectionDrawn
CredentialFeedPage = FeedPage[CredentialEvent]
