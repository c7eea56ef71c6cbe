"""Events the credential service publishes: who is registered and where they work.

No personal data beyond what the training service needs: the staff id, and the keyed hash
of the ID number for national-ID lookup — never the number itself, never the name. Inspections are
published too, for auditors following the feed (the training service ignores them): the monthly
draws with every input, and inspectors, visits, scans and findings by their ids, kinds, verdicts
and deadlines only — no names, no reasons or notes, no badge text, no ID numbers (docs/inspections.md).
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


class InspectorRegistered(msgspec.Struct, tag="inspection.inspector-registered.v1", kw_only=True, frozen=True):
    """An inspector was registered (active); the name and unit stay in the service."""

    inspector_id: str


class InspectorDeactivated(msgspec.Struct, tag="inspection.inspector-deactivated.v1", kw_only=True, frozen=True):
    """An inspector was made inactive: never drawn, opens no visit (the reason stays in the service)."""

    inspector_id: str


class InspectorReactivated(msgspec.Struct, tag="inspection.inspector-reactivated.v1", kw_only=True, frozen=True):
    """An inactive inspector was made active again (the reason stays in the service)."""

    inspector_id: str


class InspectorConflictDeclared(msgspec.Struct, tag="inspection.conflict-declared.v1", kw_only=True, frozen=True):
    """An inspector may not inspect this nursery from now on (the reason stays in the service)."""

    inspector_id: str
    nursery_id: str


class VisitOpened(msgspec.Struct, tag="inspection.visit-opened.v1", kw_only=True, frozen=True):
    """An inspector opened a visit at a nursery: routine, random (with the drawn month) or a re-inspection
    (with the findings it re-inspects); the item's ``recorded_at`` is when."""

    visit_id: str
    inspector_id: str
    nursery_id: str
    kind: str
    draw_month: str | None = None
    finding_ids: list[str] = []


class ScanRecorded(msgspec.Struct, tag="inspection.scan-recorded.v1", kw_only=True, frozen=True):
    """A badge scanned during a visit, recorded once: the device's time of the scan and the server's verdict
    as at that time (never the QR text, never a typed ID number)."""

    visit_id: str
    scan_id: str
    """The scanning device's id for the scan (the same id is recorded once)."""
    scanned_at: dt.datetime
    badge_id: str | None = None
    staff_id: str | None = None
    verdict: str
    holder_check: str
    status_stale: bool
    device_verdict: str | None = None


class VisitClosed(msgspec.Struct, tag="inspection.visit-closed.v1", kw_only=True, frozen=True):
    """A visit was closed (the inspector's note stays in the service)."""

    visit_id: str
    nursery_id: str


class FindingConfirmed(msgspec.Struct, tag="inspection.finding-confirmed.v1", kw_only=True, frozen=True):
    """An inspector confirmed a finding on a visit, to be rectified by ``due_on``; ``staff_id`` is None for a
    person working who is not on the roster (the name and the detail stay in the service)."""

    finding_id: str
    visit_id: str
    nursery_id: str
    inspector_id: str
    kind: str
    staff_id: str | None = None
    due_on: dt.date


class FindingClosed(msgspec.Struct, tag="inspection.finding-closed.v1", kw_only=True, frozen=True):
    """A re-inspection found the finding rectified (the note stays in the service)."""

    finding_id: str
    visit_id: str
    """The re-inspection visit."""
    nursery_id: str


class FindingEscalated(msgspec.Struct, tag="inspection.finding-escalated.v1", kw_only=True, frozen=True):
    """A re-inspection found the finding not rectified: a new deadline, and the district follows it."""

    finding_id: str
    visit_id: str
    """The re-inspection visit."""
    nursery_id: str
    due_on: dt.date


CredentialEvent = (
    StaffRegistered | StaffAssigned | AssignmentEnded | InspectionDrawAnnounced | InspectionDrawn
    | InspectorRegistered | InspectorDeactivated | InspectorReactivated | InspectorConflictDeclared
    | VisitOpened | ScanRecorded | VisitClosed | FindingConfirmed | FindingClosed | FindingEscalated
)
CredentialFeedPage = FeedPage[CredentialEvent]
