"""Training providers, the course catalogue, completions and the annual ledger as clients see them.

Class hours are JSON numbers in halves (``1.5``); completion times are RFC 3339 date-times
with an offset. Value rules (hours in halves, known person, known course ...) are checked per
completion so that a bulk upload rejects only the bad items, each naming its field.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from contracts.badges import Verdict
from contracts.command import Command
from contracts.dates import BusinessDate
from contracts.text import IdNumber, Name, Title, line, prose

Category = Literal["skills", "ethics"]
Topic = Literal["professional_ethics", "professional_norms", "professional_skills", "safety", "mental_health"]
Reason = prose(500, "Why, in words")
MAX_BULK_ITEMS = 50_000
ProviderCode = line(32, "A provider's short code: upper-case ASCII letters, digits, '_' and '-'", min_length=2,
                    pattern=r"^[A-Z0-9][A-Z0-9_-]{1,31}$", ascii_form=True)
COURSE_CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$"
CourseCode = line(40, "A course code: ASCII letters, digits, '.', '_' and '-', starting with a letter or digit",
                  pattern=COURSE_CODE_PATTERN, ascii_form=True)
EventId = line(100, (
    "The provider's own id of a completion: visible ASCII only (U+0021-U+007E, no spaces), compared exactly;"
    " posting the same id again is safe"
), pattern=r"^[\x21-\x7e]*$", ascii_form=True)
CompletedAt = line(40, (
    "When the course was completed: an RFC 3339 date-time with seconds and a UTC offset"
    " (e.g. 2025-06-30T14:00:00+08:00; no week or ordinal dates), not before 2000-01-01 and not in"
    " the future beyond five minutes of clock skew; checked per completion (422 invalid_completed_at"
    " or completed_in_future)"
))
CourseRef = line(40, "The catalogued course's code; checked per completion (422 unknown_course)")
StaffRef = line(36, "The person's registry staff id (a UUID); checked per completion (422 invalid_staff_id)")
LOCAL_CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$"
TrainerCode = line(40, "A trainer's code at their provider: ASCII letters, digits, '.', '_' and '-'",
                   pattern=LOCAL_CODE_PATTERN, ascii_form=True)
SessionCode = line(40, "A session's code at its provider: ASCII letters, digits, '.', '_' and '-'",
                   pattern=LOCAL_CODE_PATTERN, ascii_form=True)
Mode = Literal["online", "offline"]


class NewProvider(Command, kw_only=True):
    """A provider to approve: its short code (e.g. ``SOU``) and name (e.g. 上海开放大学)."""

    code: ProviderCode
    name: Title


class ProviderView(msgspec.Struct, kw_only=True):
    """An approved provider (withdrawn ones keep their past completions)."""

    provider_id: str
    code: str
    name: str
    approved_at: str
    withdrawn_at: str | None = None
    withdrawn_reason: str | None = None


class Withdrawal(Command):
    """Why a provider or course is withdrawn."""

    reason: Reason


class NewCourse(Command, kw_only=True):
    """A course to catalogue: category skills (综合技能培训) or ethics (职业道德教育), topic, class hours."""

    code: CourseCode
    title: Title
    category: Category
    topic: Topic
    class_hours: float
    """Positive, in halves (e.g. 1.5)."""
    available_from: BusinessDate


class CourseView(msgspec.Struct, kw_only=True):
    """A catalogued course."""

    course_id: str
    provider_id: str
    code: str
    title: str
    category: str
    topic: str
    class_hours: float
    available_from: str
    catalogued_at: str
    withdrawn_at: str | None = None
    withdrawn_reason: str | None = None
    activity_iri: str | None = None
    """The course's xAPI activity IRI: a learning platform's statement with this object (verb completed or
    passed) records a completion (``<district home page>/xapi/activities/<provider code>/<course code>``)."""


class NewCompletion(Command, kw_only=True):
    """A completion posted by a provider: its own event id, the person, the course, when, how long.

    The text policy and ``event_id``'s form are checked for the whole body; the values (person,
    course, time, hours) per completion, so that a bulk upload refuses only its bad items.
    """

    event_id: EventId
    """The provider's own id of this completion: posting it again is safe."""
    staff_id: StaffRef | None = None
    """The person's registry staff id; or give ``id_number`` instead."""
    id_number: IdNumber | None = None
    """The person's resident ID number (used only to find the person; never stored)."""
    course_code: CourseRef
    completed_at: CompletedAt
    """RFC 3339 date-time with offset; its calendar year in Asia/Shanghai is the training year."""
    class_hours: float
    """Must equal the catalogued class hours of the course."""
    session_code: SessionCode | None = None
    """The provider's session this was completed in: its course must be this course; an offline
    session needs the person's attendance, signed in and out by badge scan (422 otherwise)."""
    mode: Mode | None = None
    """Online or offline (线上/线下); must match the session's when a session is named."""
    trainer_code: TrainerCode | None = None
    """The provider's trainer who gave it; must be the session's when a session is named."""


class CompletionResult(msgspec.Struct, kw_only=True):
    """What was recorded for a completion; a retry of the same completion answers exactly this."""

    completion_id: str
    provider_id: str
    event_id: str
    staff_id: str
    course_code: str
    category: str
    class_hours: float
    completed_at: str
    year: int
    counted: bool
    """Whether it earned hours when recorded (a course counts once per person per year)."""
    reason: str | None
    recorded_at: str
    replaces: str | None = None
    session_code: str | None = None
    mode: str | None = None
    trainer_id: str | None = None
    attendance_id: str | None = None
    """The attendance (badge scans in and out) the completion rests on, for an offline session."""


class BulkCompletions(Command):
    """A term-end upload: up to 50,000 completions, each answered separately."""

    items: Annotated[list[NewCompletion], msgspec.Meta(min_length=1, max_length=MAX_BULK_ITEMS)]


class BulkItemResult(msgspec.Struct, kw_only=True, omit_defaults=True):
    """The outcome of one item: ``created``, ``duplicate``, ``conflict`` or ``rejected``."""

    index: int
    event_id: str
    outcome: Literal["created", "duplicate", "conflict", "rejected"]
    completion_id: str | None = None
    counted: bool | None = None
    reason: str | None = None
    code: str | None = None
    field: str | None = None
    message: str | None = None


class BulkResult(msgspec.Struct, kw_only=True):
    """Per-item outcomes of a bulk upload, in the order sent, with counts."""

    created: int
    duplicate: int
    conflict: int
    rejected: int
    results: list[BulkItemResult]


class Reversal(Command):
    """Why a completion is reversed (it stops counting; nothing is deleted)."""

    reason: Reason


class Correction(Command, kw_only=True):
    """A correction: the completion is reversed and the replacement recorded, together."""

    reason: Reason
    replacement: NewCompletion


class ReversalResult(msgspec.Struct, kw_only=True):
    """A reversed completion."""

    completion_id: str
    event_id: str
    reversed_at: str
    reason: str
    replaced_by: str | None = None


class CorrectionResult(msgspec.Struct, kw_only=True):
    """The reversal and the replacement of a correction."""

    reversal: ReversalResult
    replacement: CompletionResult


class LedgerEntry(msgspec.Struct, kw_only=True):
    """One completion in a person's year, with its source and whether it counts."""

    completion_id: str
    provider_id: str
    provider_code: str
    event_id: str
    course_code: str
    course_title: str
    category: str
    class_hours: float
    completed_at: str
    recorded_at: str
    status: Literal["counted", "not_counted", "reversed"]
    reason: str | None = None
    counted_instead: str | None = None
    replaces: str | None = None
    replaced_by: str | None = None
    session_code: str | None = None
    mode: str | None = None
    trainer_id: str | None = None
    attendance_id: str | None = None


class CategoryHours(msgspec.Struct, kw_only=True):
    """Class hours earned, required and missing in one category."""

    earned: float
    required: float
    shortfall: float


class PersonYear(msgspec.Struct, kw_only=True):
    """A person's training year (年度培训学时): totals by category and every entry."""

    staff_id: str
    year: int
    on: str | None
    """The date the ledger is shown as on (end of that day, Shanghai time); null for now."""
    skills: CategoryHours
    ethics: CategoryHours
    complete: bool
    entries: list[LedgerEntry]
    rules_version: int = 1
    """The training-rules version the required hours come from (1: the 72/40 constants)."""
    roles: list[str] = msgspec.field(default_factory=list)
    """The roles the person held in the year, as the registry said (the rules' hours are per role)."""
    months_in_post: int | None = None
    """Months of the year in post, when the rules pro-rate and the person's assignments are known."""


class Submission(msgspec.Struct, kw_only=True):
    """A completion as its provider submitted it, and whether it stands."""

    position: int
    completion_id: str
    event_id: str
    staff_id: str
    course_code: str
    class_hours: float
    completed_at: str
    year: int
    recorded_at: str
    counted: bool
    reason: str | None
    reversed: bool
    reversal_reason: str | None = None
    replaces: str | None = None
    replaced_by: str | None = None


class SubmissionsPage(msgspec.Struct, kw_only=True):
    """A page of a provider's submissions; pass ``next_after`` as ``after`` for the next page."""

    items: list[Submission]
    next_after: int | None


# Training rules (培训规则) -------------------------------------------------------------------

RuleRoleCode = line(40, "A role code of the credential service's role policy: lower-case letters, digits and _",
                    min_length=2, pattern=r"^[a-z][a-z0-9_]{1,39}$", ascii_form=True)
RuleHours = Annotated[float, msgspec.Meta(ge=0, le=1000, description="Class hours per year, in halves (0 allowed)")]


class HoursByCategory(Command, kw_only=True, frozen=True):
    """Class hours a year in each category: skills (综合技能培训) and ethics (职业道德教育)."""

    skills: RuleHours
    ethics: RuleHours


class RoleHours(Command, kw_only=True, frozen=True):
    """The hours a role owes a year."""

    role: RuleRoleCode
    skills: RuleHours
    ethics: RuleHours


class NewTrainingRules(Command, kw_only=True):
    """A training-rules version to adopt (registrar): hours per category per role, with a default.

    Versions follow one another (the first adopted is 2; version 1 is the 72/40 constants); a
    version applies from a year on, never to a year already past, and never from a year earlier
    than the version before it.
    """

    version: Annotated[int, msgspec.Meta(ge=2, le=10_000)]
    applies_from_year: Annotated[int, msgspec.Meta(ge=2000, le=2100)]
    default: HoursByCategory
    """For a role the rules do not name (and a person whose role is not known)."""
    roles: Annotated[list[RoleHours], msgspec.Meta(max_length=100)] = msgspec.field(default_factory=list)
    pro_rata: bool = True
    """Pro-rate for a part year in post: hours x months in post / 12, rounded up to the half hour."""
    note: Reason


class TrainingRulesView(msgspec.Struct, kw_only=True):
    """A training-rules version (version 1: the constants every store started with)."""

    version: int
    applies_from_year: int
    default: HoursByCategory
    roles: list[RoleHours]
    pro_rata: bool
    note: str
    adopted_at: str | None
    """When it was adopted; null for version 1 (never adopted: the constants)."""


# Trainers, sessions, attendance -------------------------------------------------------------

ScanText = line(4000, "The text of the attendee's badge QR code as scanned, kept for audit")


class NewTrainer(Command, kw_only=True):
    """A trainer (培训师资) a provider registers: its own code for them, and their name."""

    code: TrainerCode
    name: Name


class TrainerTraining(Command, kw_only=True):
    """A professional training the trainer received (at least one a year, per the plan)."""

    title: Title
    organiser: Title
    completed_on: BusinessDate
    class_hours: float
    """Positive, in halves."""


class TrainerTrainingView(msgspec.Struct, kw_only=True):
    title: str
    organiser: str
    completed_on: str
    class_hours: float
    recorded_at: str


class TrainerYear(msgspec.Struct, kw_only=True):
    """A year of a trainer's own training: how many, and whether the plan's one a year is met."""

    year: int
    trainings: int
    meets_plan: bool


class TrainerView(msgspec.Struct, kw_only=True):
    """A provider's trainer and their own professional training, year by year."""

    trainer_id: str
    provider_id: str
    code: str
    name: str
    registered_at: str
    trained_this_year: bool
    """At least one professional training in the current year (Asia/Shanghai)."""
    years: list[TrainerYear]
    trainings: list[TrainerTrainingView]


class NewSession(Command, kw_only=True):
    """A session (培训班次) of a catalogued course: online or offline, by one of the provider's trainers."""

    code: SessionCode
    course_code: CourseRef
    mode: Mode
    trainer_code: TrainerCode
    starts_on: BusinessDate
    ends_on: BusinessDate


class SessionView(msgspec.Struct, kw_only=True):
    session_id: str
    provider_id: str
    code: str
    course_code: str
    mode: str
    trainer_id: str
    trainer_code: str
    starts_on: str
    ends_on: str
    scheduled_at: str


class BadgeScan(Command, kw_only=True):
    """A trainer's scan of an attendee's badge at an offline session: sign-in or sign-out.

    The trainer's scanner verifies the badge offline with the credential service's published keys
    (its verifier page) and sends the staff id it read, its verdict and the badge text; only a
    ``valid`` verdict signs a person in or out. The text is kept for an auditor to verify again.
    """

    direction: Literal["in", "out"]
    staff_id: StaffRef
    trainer_code: TrainerCode
    """The session's trainer, who scanned."""
    scanned_at: CompletedAt
    badge: ScanText
    verdict: Verdict
    """What the scanner said of the badge (only ``valid`` is accepted)."""


class AttendanceView(msgspec.Struct, kw_only=True):
    """One person's attendance at an offline session."""

    attendance_id: str
    session_id: str
    staff_id: str
    signed_in_at: str
    signed_out_at: str | None
    complete: bool
    """Signed in and out: a completion of the session may rest on it."""


# Assessments (职业技能鉴定) and training-fee subsidies ----------------------------------------

CertificateTypeCode = Literal["nursery_worker", "infant_care"]
"""保育员证 (``nursery_worker``) or 育婴员证 (``infant_care``), the credential service's type codes."""
Level = Annotated[int, msgspec.Meta(ge=1, le=5, description="The level: 5 = 五级 (entry) up to 1 = 一级 (highest)")]
PaymentReference = line(100, "The payment's reference in the finance system")


class NewAssessment(Command, kw_only=True):
    """An assessment result a provider posts: who, which certificate and level, passed (鉴定合格) or not, when."""

    event_id: EventId
    """The provider's own id of this result: posting it again is safe."""
    staff_id: StaffRef | None = None
    id_number: IdNumber | None = None
    """Or the person's resident ID number (used only to find them; never stored)."""
    certificate_type: CertificateTypeCode
    level: Level
    passed: bool
    assessed_on: BusinessDate


class AssessmentView(msgspec.Struct, kw_only=True):
    """A recorded assessment result; ``claim_id`` when it earned the subsidy claim for its type and level."""

    assessment_id: str
    provider_id: str
    event_id: str
    staff_id: str
    certificate_type: str
    level: int
    passed: bool
    assessed_on: str
    recorded_at: str
    position: int
    claim_id: str | None = None


class EventRef(msgspec.Struct, kw_only=True):
    """An event in the log a subsidy line rests on (check it with the audit export and proofs)."""

    position: int
    topic: str
    aggregate_id: str
    recorded_at: str


class SubsidyLine(msgspec.Struct, kw_only=True):
    """One person's subsidy claim for one certificate type and level, and whether it is paid."""

    claim_id: str
    staff_id: str
    provider_id: str
    certificate_type: str
    level: int
    assessment_id: str
    assessed_on: str
    status: Literal["paid", "unpaid"]
    amount_fen: int | None = None
    reference: str | None = None
    paid_on: str | None = None
    events: list[EventRef]


class SubsidyList(msgspec.Struct, kw_only=True):
    """A provider's subsidy claims for assessments passed in a period (once per person, type and level)."""

    provider_id: str
    start: str
    end: str
    lines: list[SubsidyLine]
    paid: int
    unpaid: int


class SubsidyPaid(Command, kw_only=True):
    """The registrar records that a claim was paid."""

    amount_fen: Annotated[int, msgspec.Meta(ge=1, le=10_000_000, description="The amount paid, in fen (分)")]
    reference: PaymentReference
    paid_on: BusinessDate


class SubsidyUnpaid(Command, kw_only=True):
    """The registrar records that a paid claim is unpaid again (a transfer returned, a payment in error)."""

    reason: Reason
