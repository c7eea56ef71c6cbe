"""Events the training service publishes: completions and reversals, with the person's new totals.

Each event carries the person's totals for the year after it, so a follower keeps the year's
status without re-implementing the once-per-course rule.
"""

from __future__ import annotations

import datetime as dt

import msgspec

from contracts.events.feed import FeedPage


class YearTotals(msgspec.Struct, kw_only=True, frozen=True):
    """A person's counted class hours in one calendar year (Asia/Shanghai), and the hours required that year."""

    year: int
    skills_hours: float
    ethics_hours: float
    skills_required: float  # the training service's rule (its domain), stated on every event
    ethics_required: float
    rules_version: int = 1
    """The training-rules version the required hours come from (events published before rules were
    versioned carry none and read as version 1: the 72/40 constants). The required hours are the
    person's own: by role, pro-rated for a part year when the rules say so."""


class CompletionRecorded(msgspec.Struct, tag="completion.recorded.v1", kw_only=True, frozen=True):
    """A provider's course completion entered the ledger (counted or not)."""

    completion_id: str
    staff_id: str
    provider_id: str
    course_code: str
    category: str
    hours: float
    completed_on: dt.date
    counted: bool
    totals: YearTotals


class CompletionReversed(msgspec.Struct, tag="completion.reversed.v1", kw_only=True, frozen=True):
    """A completion was reversed by its provider; it no longer counts."""

    completion_id: str
    staff_id: str
    reason: str
    totals: YearTotals


class AssessmentRecorded(msgspec.Struct, tag="assessment.recorded.v1", kw_only=True, frozen=True):
    """A provider posted an assessment result (职业技能鉴定): the registrar may issue or upgrade the
    certificate of that type and level through its usual path when ``passed``."""

    assessment_id: str
    staff_id: str
    provider_id: str
    certificate_type: str
    """``nursery_worker`` (保育员证) or ``infant_care`` (育婴员证)."""
    level: int
    """5 = 五级 (entry) up to 1 = 一级."""
    passed: bool
    assessed_on: dt.date


TrainingEvent = CompletionRecorded | CompletionReversed | AssessmentRecorded
TrainingFeedPage = FeedPage[TrainingEvent]
