"""Certificates, assignments, integrity records and compliance as clients send and see them."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from contracts.inspections import InspectionFigures
from contracts.command import Command
from contracts.dates import BusinessDate
from contracts.policy import Code
from contracts.text import Note, Reason, Title, Uuid, line, refusing

RevocationCategory = Literal["ethics_violation", "fraud", "error", "other"]
Standing = Literal["valid", "not_yet_valid", "expired", "suspended", "revoked", "failed"]
Problem = Literal["missing", "not_yet_valid", "expired", "suspended", "revoked", "failed", "level_too_low",
                  "recheck_due"]
Level = Annotated[int, msgspec.Meta(ge=1, le=5, description="职业技能等级: 5 (五级) .. 1 (一级); lower is higher")]
CheckResult = Literal["passed", "failed"]
CERTIFICATE_NUMBER_PATTERN = refusing(r"\s")
CertificateNumber = line(50, (
    "A certificate's number as printed on it: no white space at all; compared exactly, and unique per"
    " certificate type only (two types may share a number)"
), pattern=CERTIFICATE_NUMBER_PATTERN)


# Commands ------------------------------------------------------------------------------------


class NewCertificate(Command, kw_only=True):
    """A certificate to record: its type, number, issuing body, validity dates and holder.

    ``expires_on`` must be after ``issued_on`` and at most 100 years after it. Under policy v2 it is
    left out for a type that never expires (教师资格证) and may be left out for a check (health,
    background): the check is then next due ``recheck_months`` after ``issued_on`` (the day it was
    taken) and valid through the day before. A levelled type (育婴员, 保育员) needs its ``level``; an
    upgrade is a new certificate at the higher level. ``issuing_body`` of a check is who checked it.
    """

    cert_type: Code
    number: CertificateNumber
    issuing_body: Title
    issued_on: BusinessDate
    expires_on: BusinessDate | None = None
    holder_id: Uuid
    note: Note = ""
    level: Level | None = None
    result: CheckResult = "passed"
    """A check's result; a certificate is recorded as passed."""


class Renewal(Command, kw_only=True):
    """A later expiry date (at most 100 years after ``effective_on``), from the given date (default today)."""

    expires_on: BusinessDate
    note: Reason
    effective_on: BusinessDate | None = None


class LevelRecord(Command, kw_only=True):
    """The level printed on a certificate recorded without one (a record made under policy v1).

    A certificate's level is recorded once; an upgrade (五级 → 四级) is a new certificate."""

    level: Level
    note: Reason


class Suspension(Command, kw_only=True):
    """Why a certificate is suspended, from when (default today) and until when if known (inclusive)."""

    reason: Reason
    effective_on: BusinessDate | None = None
    until: BusinessDate | None = None


class Reinstatement(Command, kw_only=True):
    """Why a suspension is lifted, from when (default today)."""

    note: Reason
    effective_on: BusinessDate | None = None


class Revocation(Command, kw_only=True):
    """Why a certificate is revoked, in which category, from when (default today)."""

    reason: Reason
    category: RevocationCategory
    effective_on: BusinessDate | None = None


class NewAssignment(Command, kw_only=True):
    """A person to assign to a role at a nursery from a date (人证合一 is checked on that date)."""

    staff_id: Uuid
    nursery_id: Uuid | None = None
    """For hr keys the key's own nursery; may be omitted."""
    role: Code
    start_on: BusinessDate


class AssignmentEnd(Command, kw_only=True):
    """The last working day of an assignment, and why it ends."""

    end_on: BusinessDate
    reason: Reason


class NewViolation(Command, kw_only=True):
    """An ethics violation (师德违规) and the action taken; suspension/revocation acts on the certificates.

    ``occurred_on`` may not be after today (Asia/Shanghai).
    """

    staff_id: Uuid
    what: Reason
    occurred_on: BusinessDate
    action: Literal["warning", "suspension", "revocation"]
    certificate_ids: list[Uuid] = msgspec.field(default_factory=list)
    until: BusinessDate | None = None
    """For a suspension: the last day it lasts, if known."""
    effective_on: BusinessDate | None = None
    """When the suspension or revocation takes effect (default today)."""


# Views ---------------------------------------------------------------------------------------


class Shortfall(msgspec.Struct, kw_only=True, frozen=True):
    """One required certificate type the person does not validly hold on the date."""

    cert_type: str
    problem: Problem
    certificate_id: str | None = None
    number: str | None = None
    expires_on: str | None = None


class RequirementResult(msgspec.Struct, kw_only=True, frozen=True):
    """One requirement group of a role, and whether it is met."""

    rule: Literal["all_of", "any_of"]
    cert_types: list[str]
    satisfied: bool
    shortfalls: list[Shortfall]


class Compliance(msgspec.Struct, kw_only=True, frozen=True):
    """Whether a person may work in a role on a date (持证上岗), and by which policy version."""

    role: str
    on: str
    compliant: bool
    policy_version: int
    requirements: list[RequirementResult]


class CertificateView(msgspec.Struct, kw_only=True):
    """A certificate with its standing on the date asked about."""

    certificate_id: str
    cert_type: str
    number: str
    issuing_body: str
    holder_id: str
    issued_on: str
    expires_on: str | None
    """The expiry in force on the date asked about (None: it never expires)."""
    status: str
    """The recorded status now: active, suspended or revoked."""
    standing: Standing
    """Valid or not on the date asked about."""
    on: str
    level: int | None = None
    """The level it was issued at (5..1 for 五级..一级), when recorded."""
    result: CheckResult = "passed"
    """A check's result (health, background); certificates pass."""


class AssignmentView(msgspec.Struct, kw_only=True):
    """An assignment of a person to a role at a nursery."""

    assignment_id: str
    staff_id: str
    nursery_id: str
    role: str
    start_on: str
    end_on: str | None
    end_reason: str | None
    policy_version: int
    """The policy version that admitted the assignment."""
    active: bool
    """Active on the date asked about."""
    compliance: Compliance | None = None


class ViolationView(msgspec.Struct, kw_only=True):
    """One entry of a person's integrity record (诚信记录)."""

    violation_id: str
    staff_id: str
    what: str
    occurred_on: str
    action: str
    certificate_ids: list[str]
    recorded_at: str


class Profile(msgspec.Struct, kw_only=True):
    """A person as on a date: certificates, assignments with compliance, integrity record."""

    staff_id: str
    name: str
    id_masked: str
    on: str
    certificates: list[CertificateView]
    assignments: list[AssignmentView]
    integrity_record: list[ViolationView] | None
    """None when the caller's role may not see it (inspectors)."""
    training: TrainingStatus | None = None
    """None while the training service has published no requirement (no completion anywhere yet)."""


class TrainingStatus(msgspec.Struct, kw_only=True):
    """A person's training hours in a calendar year against the requirement (年度培训学时)."""

    year: int
    skills_hours: float
    ethics_hours: float
    skills_required: float
    ethics_required: float
    skills_shortfall: float
    ethics_shortfall: float
    complete: bool
    updated_at: str | None
    """When the training service's feed last changed this person's year (None: no completion yet)."""


class RosterEntry(msgspec.Struct, kw_only=True):
    """One person working at a nursery on the date, with the compliance of each of their roles."""

    staff_id: str
    name: str
    compliant: bool
    assignments: list[AssignmentView]
    training: TrainingStatus | None = None
    """None while the training service has published no requirement (no completion anywhere yet)."""


class Roster(msgspec.Struct, kw_only=True):
    """A nursery's people on a date, non-compliant first, and its 持证上岗率."""

    nursery_id: str
    on: str
    policy_version: int
    people: int
    compliant_people: int
    certified_rate: float | None
    """持证上岗率: compliant people / people with active assignments (None with nobody assigned)."""
    entries: list[RosterEntry]
    training_year: int | None = None
    training_complete_people: int | None = None
    certificates_as_of: str | None = None
    """When the certificate part was last brought up to date (the credential service's own log)."""
    training_as_of: str | None = None
    """When the training part was last brought up to date from the training service's feed (None: never)."""


class ExpiringCertificate(msgspec.Struct, kw_only=True):
    """A certificate valid on the date that expires within the window."""

    certificate_id: str
    cert_type: str
    number: str
    holder_id: str
    holder_name: str
    expires_on: str
    days_left: int


class DueCheck(msgspec.Struct, kw_only=True):
    """A check (health, background) or certificate of a person working with children that falls due in the window."""

    certificate_id: str
    cert_type: str
    kind: str
    """health_check, background_check or certificate."""
    number: str
    holder_id: str
    holder_name: str
    checked_on: str
    """When it was last checked (or issued)."""
    checked_by: str
    due_on: str
    """The day it falls due: from that day the person is non-compliant until it is re-checked."""
    days_left: int


class NurseryFigure(msgspec.Struct, kw_only=True):
    """One nursery's 持证上岗率."""

    nursery_id: str
    name: str
    town: str
    people: int
    compliant_people: int
    certified_rate: float | None


class TeacherInfantCareShare(msgspec.Struct, kw_only=True):
    """Public kindergarten teachers holding a valid infant-care certificate (育婴员证), against the target."""

    teachers: int
    with_infant_care: int
    share: float | None
    target: float
    meets_target: bool


class DistrictFigures(msgspec.Struct, kw_only=True):
    """The district's dashboard on a date."""

    on: str
    policy_version: int
    people: int
    compliant_people: int
    certified_rate: float | None
    nurseries: list[NurseryFigure]
    public_kindergarten_teachers: TeacherInfantCareShare
    expiring_within_30: int
    expiring_within_60: int
    expiring_within_90: int
    training_year: int | None = None
    training_complete_people: int | None = None
    training_completion_rate: float | None = None
    """People with active assignments who met both the skills and ethics hours in the year."""
    training_as_of: str | None = None
    inspections: InspectionFigures | None = None
    """On-site inspections as on the date (visits against 2 a year, random checks per month, findings)."""
