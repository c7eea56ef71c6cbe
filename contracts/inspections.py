"""Inspections (督导检查): inspectors, the monthly 双随机 draw, on-site visits with badge scans, findings.

A draw is announced (``DrawAnnouncement``: the month, how many nurseries, the commitment
SHA-256(seed) and which public beacon value will be used) and later drawn (``DrawReveal``: the
seed and the beacon value); ``DrawView`` publishes every input, so anyone can recompute the pairs
(``carecred inspections verify-draw``, docs/inspections.md).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec

from contracts.badges import QrText, Verdict
from contracts.command import Command
from contracts.dates import BusinessDate, Instant
from contracts.events.credential import DrawRoundBase
from contracts.text import IdNumber, Name, Note, Reason, Title, Uuid, line

Month = line(7, "A month, e.g. 2027-01", min_length=7, pattern=r"^\d{4}-(0[1-9]|1[0-2])$", ascii_form=True)
Hex256 = line(64, "64 lower-case hex digits (32 bytes)", min_length=64, pattern=r"^[0-9a-f]{64}$", ascii_form=True)
BeaconValue = line(200, "The public beacon value, exactly as published by its source")
ClientScanId = line(64, "The scanning device's id for this scan (letters, digits, - and _): the same id is recorded once",
                    pattern=r"^[A-Za-z0-9_-]+$", ascii_form=True)
VisitKind = Literal["routine", "random", "reinspection"]
FindingKind = Literal["no_valid_badge", "holder_mismatch", "not_on_roster", "lapsed_certificate"]
FindingStatus = Literal["open", "escalated", "closed"]
Weighting = Literal["uniform"]


class NewInspector(Command, kw_only=True):
    """Register an inspector: name and unit (e.g. 区教育局督导室)."""

    name: Name
    unit: Title


class InspectorActivity(Command, kw_only=True):
    """Make an inspector active or inactive (an inactive one is never drawn and opens no visits)."""

    active: bool
    reason: Reason


class NewConflict(Command, kw_only=True):
    """Declare that an inspector may not inspect a nursery (never drawn for it)."""

    nursery_id: Uuid
    reason: Reason


class InspectorView(msgspec.Struct, kw_only=True):
    inspector_id: str
    name: str
    unit: str
    active: bool
    conflicts: list[str]
    """Nursery ids the inspector declared a conflict of interest with."""


class DrawAnnouncement(Command, kw_only=True):
    """Announce a month's draw before it can be known: the pool is every registered nursery as now."""

    month: Month
    """This month or a later one."""
    count: Annotated[int, msgspec.Meta(ge=1, le=1000)]
    weighting: Weighting = "uniform"
    commitment: Hex256
    """SHA-256 (hex) of the 32-byte secret seed the registrar reveals at the draw."""
    beacon_source: Title
    """Which public value will be entered at the draw, e.g. "福彩3D 开奖号码 2027-01-05"."""
    beacon_on: BusinessDate
    """The day that value is published: after today (a value known at the announcement could be steered by the
    choice of seed); the draw is refused before it."""


class DrawReveal(Command, kw_only=True):
    """Draw: reveal the committed seed and enter the announced beacon value."""

    seed: Hex256
    beacon: BeaconValue


class Redraw(Command, kw_only=True):
    """Announce a new round for a month (a redraw), with the reason; the earlier round stays published."""

    reason: Reason
    commitment: Hex256
    beacon_source: Title
    beacon_on: BusinessDate
    count: Annotated[int, msgspec.Meta(ge=1, le=1000)] | None = None


class DrawPair(msgspec.Struct, kw_only=True):
    nursery_id: str
    inspector_id: str


class DrawRound(DrawRoundBase, kw_only=True):
    """One round's published inputs and, once drawn, its result."""

    reason: str | None
    """Required here (null for the first round); it keeps its place after ``round``."""
    announced_at: str
    announced_position: int
    """The announcement's position in the event log."""
    seed: str | None = None
    beacon: str | None = None
    log_size: int | None = None
    """The size of the log's Merkle tree just after the announcement (the announcement its last leaf)."""
    log_root: str | None = None
    pairs: list[DrawPair] | None = None
    drawn_at: str | None = None


class DrawView(msgspec.Struct, kw_only=True):
    """A month's draw: every round, the last one in force."""

    month: str
    rounds: list[DrawRound]


class NewVisit(Command, kw_only=True):
    """Open a visit at a nursery: routine, random (the month whose draw paired this inspector with it) or
    re-inspection (the open findings it re-inspects)."""

    nursery_id: Uuid
    kind: VisitKind
    draw_month: Month | None = None
    finding_ids: Annotated[list[Uuid], msgspec.Meta(max_length=200)] = []


class ScanUpload(Command, kw_only=True):
    """A scan made during a visit, maybe offline: the badge's QR text (or its id), when, and the device's id for it."""

    client_scan_id: ClientScanId
    scanned_at: Instant
    qr: QrText | None = None
    badge_id: Uuid | None = None
    id_number: IdNumber | None = None
    """Typed from the ID card for 人证合一; checked, never stored."""
    device_verdict: Verdict | None = None
    """What the device showed (offline: from its cached lists)."""


class ScanBatch(Command, kw_only=True):
    scans: Annotated[list[ScanUpload], msgspec.Meta(min_length=1, max_length=500)]


class ScanView(msgspec.Struct, kw_only=True):
    client_scan_id: str
    scanned_at: str
    badge_id: str | None
    staff_id: str | None
    verdict: str
    holder_check: str
    status_stale: bool
    device_verdict: str | None
    recorded_at: str


class ScanReceipt(msgspec.Struct, kw_only=True):
    """Which scans this upload recorded, and which were recorded before (sent again: kept once)."""

    recorded: list[str]
    already_recorded: list[str]


class VisitClosing(Command, kw_only=True):
    note: Note = ""


class VisitView(msgspec.Struct, kw_only=True):
    visit_id: str
    inspector_id: str
    nursery_id: str
    kind: str
    draw_month: str | None
    finding_ids: list[str]
    opened_at: str
    opened_on: dt.date
    closed_at: str | None
    scans: list[ScanView]


class ProposedFinding(msgspec.Struct, kw_only=True):
    """What a visit's scans and roster suggest; the inspector confirms each (or not)."""

    kind: str
    staff_id: str | None
    detail: str


class FindingConfirmation(Command, kw_only=True):
    """Confirm a finding of this visit; ``not_on_roster`` names the person (no staff id), the others the staff id."""

    kind: FindingKind
    staff_id: Uuid | None = None
    person_name: Name | None = None
    detail: Reason
    due_on: BusinessDate
    """The rectification deadline (after today)."""


class FindingOutcome(Command, kw_only=True):
    """At a re-inspection: rectified (closed) or not (escalated, with a new deadline)."""

    outcome: Literal["closed", "escalated"]
    note: Reason
    due_on: BusinessDate | None = None


class FindingView(msgspec.Struct, kw_only=True):
    finding_id: str
    visit_id: str
    nursery_id: str
    inspector_id: str
    kind: str
    staff_id: str | None
    person_name: str | None
    detail: str
    due_on: dt.date
    status: str
    overdue: bool
    confirmed_on: dt.date
    closed_on: dt.date | None
    escalations: int


class NurseryVisits(msgspec.Struct, kw_only=True):
    nursery_id: str
    name: str
    visits: int
    required: int
    """每年至少实地巡查2次: the visits a nursery needs in a year."""


class InspectionFigures(msgspec.Struct, kw_only=True):
    """As on a date: visits per nursery this year against 2, random checks and visits per month, open and overdue findings."""

    on: dt.date
    year: int
    visits_per_nursery: list[NurseryVisits]
    nurseries_below_required: int
    visits_per_month: dict[str, int]
    random_checks_per_month: dict[str, int]
    open_findings: int
    overdue_findings: int
