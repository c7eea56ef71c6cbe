"""Training providers, the course catalogue, completions and the annual ledger as clients see them.

Class hours are JSON numbers in halves (``1.5``); completion times are RFC 3339 date-times
with an offset. Value rules (hours in halves, known person, known course ...) are checked per
completion so that a bulk upload rejects only the bad items, each naming its field.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec

Category = Literal["skills", "ethics"]
Topic = Literal["professional_ethics", "professional_norms", "professional_skills", "safety", "mental_health"]
Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
MAX_BULK_ITEMS = 50_000


class NewProvider(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A provider to approve: its short code (e.g. ``SOU``) and name (e.g. 上海开放大学)."""

    code: Annotated[str, msgspec.Meta(pattern=r"^[A-Z0-9][A-Z0-9_-]{1,31}$")]
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class ProviderView(msgspec.Struct, kw_only=True):
    """An approved provider (withdrawn ones keep their past completions)."""

    provider_id: str
    code: str
    name: str
    approved_at: str
    withdrawn_at: str | None = None
    withdrawn_reason: str | None = None


class Withdrawal(msgspec.Struct, forbid_unknown_fields=True):
    """Why a provider or course is withdrawn."""

    reason: Reason


class NewCourse(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A course to catalogue: category skills (综合技能培训) or ethics (职业道德教育), topic, class hours."""

    code: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")]
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    category: Category
    topic: Topic
    class_hours: float
    """Positive, in halves (e.g. 1.5)."""
    available_from: dt.date


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


class NewCompletion(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A completion posted by a provider: its own event id, the person, the course, when, how long."""

    event_id: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    """The provider's own id of this completion: posting it again is safe."""
    staff_id: str | None = None
    """The person's registry staff id; or give ``id_number`` instead."""
    id_number: str | None = None
    """The person's resident ID number (used only to find the person; never stored)."""
    course_code: str
    completed_at: str
    """RFC 3339 date-time with offset; its calendar year in Asia/Shanghai is the training year."""
    class_hours: float
    """Must equal the catalogued class hours of the course."""


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


class BulkCompletions(msgspec.Struct, forbid_unknown_fields=True):
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


class Reversal(msgspec.Struct, forbid_unknown_fields=True):
    """Why a completion is reversed (it stops counting; nothing is deleted)."""

    reason: Reason


class Correction(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
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
