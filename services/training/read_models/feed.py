"""The one place where the training service's stored events become public contract events.

Each completion or reversal carries the person's year totals as they stood right after it
(computed from the ledger read model at that position), so the same position always gives
the same event, and a follower needs no copy of the once-per-course rule.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from contracts.events.training import (
    AssessmentRecorded, CompletionRecorded, CompletionReversed, TrainingEvent, TrainingFeedPage, YearTotals,
)
from services.training.domain.assessment import Assessment
from services.training.domain import ledger
from services.training.domain.completion import Completion
from services.training.domain.hours import hours_of
from services.training.domain.requirement import ETHICS, SKILLS
from services.training.domain.year import utc_stamp
from services.training.read_models.requirements import person_requirement
from shared.application import ServiceApplication
from shared.district import local_date

FEED_PAGE = TrainingFeedPage


def public_event(app: ServiceApplication, event: Any, position: int) -> TrainingEvent | None:
    """Map a stored event to what the credential service may know; None keeps it private."""
    match event:
        case Completion.Recorded():
            totals, statuses = _year_at(app, event.staff_id, event.year, position, utc_stamp(event.timestamp))
            completion_id = str(event.originator_id)
            return CompletionRecorded(
                completion_id=completion_id, staff_id=event.staff_id, provider_id=event.provider_id,
                course_code=event.course_code, category=event.category, hours=hours_of(event.half_hours),
                completed_on=local_date(dt.datetime.fromisoformat(event.completed_at)),
                counted=statuses.get(completion_id) == ledger.COUNTED, totals=totals,
            )
        case Completion.Reversed():
            row = app.store.query_one(
                "SELECT staff_id, year FROM completions WHERE completion_id = ?", (str(event.originator_id),)
            )
            totals, _ = _year_at(app, row["staff_id"], row["year"], position, utc_stamp(event.timestamp))
            return CompletionReversed(completion_id=str(event.originator_id), staff_id=row["staff_id"],
                                      reason=event.reason, totals=totals)
        case Assessment.Recorded():
            return AssessmentRecorded(
                assessment_id=str(event.originator_id), staff_id=event.staff_id, provider_id=event.provider_id,
                certificate_type=event.certificate_type, level=event.level, passed=event.passed,
                assessed_on=dt.date.fromisoformat(event.assessed_on),
            )
    return None


def _year_at(
    app: ServiceApplication, staff_id: str, year: int, position: int, known_by: str,
) -> tuple[YearTotals, dict[str, str]]:
    """The person's year as the ledger stood right after ``position`` (recorded at ``known_by``), against
    the requirement of the rules and assignments known then."""
    rows = app.store.query(
        "SELECT completion_id, course_id, course_code, category, half_hours, year, reversed_position"
        " FROM completions WHERE staff_id = ? AND year = ? AND position <= ? ORDER BY position",
        (staff_id, year, position),
    )
    entries = [
        ledger.Entry(r["completion_id"], r["course_id"], r["course_code"], r["category"], r["half_hours"], r["year"],
                     r["reversed_position"] is not None and r["reversed_position"] <= position)
        for r in rows
    ]
    statuses = ledger.statuses(entries)
    owed = person_requirement(app.store, staff_id, year, known_by)
    totals = ledger.totals(entries, statuses, owed.required)
    return (
        YearTotals(
            year=year,
            skills_hours=hours_of(totals.earned[SKILLS]), ethics_hours=hours_of(totals.earned[ETHICS]),
            skills_required=hours_of(totals.required[SKILLS]), ethics_required=hours_of(totals.required[ETHICS]),
            rules_version=owed.rules_version,
        ),
        {e.completion_id: s.status for e, s in zip(entries, statuses, strict=True)},
    )
