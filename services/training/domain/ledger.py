"""The once-per-year rule and a person's annual totals, as pure functions of ledger entries.

A course counts once per person per calendar year: among the completions of one course in
one year that are not reversed, the earliest recorded one counts and the others earn no
hours. So when the completion that counted is reversed, the next one recorded (if any)
counts instead — the person keeps the hours they truly earned. The same function answers
"now" and "as on date D": it is given only the entries and reversals recorded by then.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.training.domain.requirement import CATEGORIES, REQUIRED_HALF_HOURS, shortfall

COUNTED = "counted"
NOT_COUNTED = "not_counted"
REVERSED = "reversed"


@dataclass(frozen=True)
class Entry:
    """One completion in a person's year, in recorded order."""

    completion_id: str
    course_id: str
    course_code: str
    category: str
    half_hours: int
    year: int
    reversed: bool = False


@dataclass(frozen=True)
class Status:
    """Whether an entry earns its hours, and why not."""

    status: str
    reason: str | None = None
    counted_instead: str | None = None
    """For a not-counted entry: the completion that counted for the same course and year."""


def already_counted_reason(year: int) -> str:
    return f"course already counted in {year}"


def statuses(entries: list[Entry]) -> list[Status]:
    """The status of each entry (entries in recorded order)."""
    counted_by: dict[tuple[str, int], str] = {}
    result = []
    for entry in entries:
        if entry.reversed:
            result.append(Status(REVERSED, "reversed by the provider"))
            continue
        key = (entry.course_id, entry.year)
        if key in counted_by:
            result.append(Status(NOT_COUNTED, already_counted_reason(entry.year), counted_by[key]))
        else:
            counted_by[key] = entry.completion_id
            result.append(Status(COUNTED))
    return result


@dataclass(frozen=True)
class YearTotals:
    """Half-hours earned, required and missing, by category."""

    earned: dict[str, int]
    required: dict[str, int]
    shortfall: dict[str, int]

    @property
    def complete(self) -> bool:
        return not any(self.shortfall.values())


def totals(entries: list[Entry], entry_statuses: list[Status], required: dict[str, int] | None = None) -> YearTotals:
    """Sum the counted entries' half-hours by category against the requirement (rules v1's by default)."""
    required = dict(REQUIRED_HALF_HOURS) if required is None else dict(required)
    earned = dict.fromkeys(CATEGORIES, 0)
    for entry, status in zip(entries, entry_statuses, strict=True):
        if status.status == COUNTED:
            earned[entry.category] = earned.get(entry.category, 0) + entry.half_hours
    return YearTotals(earned=earned, required=required, shortfall=shortfall(earned, required))
