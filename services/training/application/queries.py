"""Ledger queries: a person's training year and a provider's submissions, now or as on a date.

"As on date D" is what the ledger showed at the end of D (Shanghai time): only completions
and reversals recorded before then, with the once-per-year rule applied to exactly those.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from contracts.training import CategoryHours, LedgerEntry, PersonYear, Submission, SubmissionsPage
from services.training.domain import ledger
from services.training.domain.hours import hours_of
from services.training.domain.requirement import ETHICS, SKILLS
from services.training.domain.year import end_of_day_utc
from services.training.application.catalogue import Catalogue
from services.training.read_models.people import People
from services.training.read_models.requirements import FAR_FUTURE, person_requirement
from shared.application import ServiceApplication
from shared.errors import NotFound

def _cutoff(on: dt.date | None) -> str:
    return end_of_day_utc(on) if on is not None else FAR_FUTURE


def _reversed_by(row: Any, cutoff: str) -> bool:
    return row["reversed_at"] is not None and row["reversed_at"] < cutoff


class LedgerQueries:
    """Reading the ledger: by person and year, by provider."""

    def __init__(self, records: ServiceApplication, catalogue: Catalogue, people: People):
        self.records = records
        self.catalogue = catalogue
        self.people = people

    def person_year(
        self, staff_id: UUID, year: int, *, on: dt.date | None = None, visible_to: UUID | None = None,
    ) -> PersonYear:
        """A person's hours by category against the requirement, and every entry with its status."""
        self.records.projector.catch_up("catalogue", "ledger", "rules")
        nurseries = self.people.person_nurseries(str(staff_id))
        if nurseries is None or (visible_to is not None and str(visible_to) not in nurseries):
            raise NotFound(f"no known person with staff_id {staff_id}")
        cutoff = _cutoff(on)
        rows = self.records.store.query(
            "SELECT c.*, p.code AS provider_code, k.title AS course_title, d.session_code, d.mode, d.trainer_id,"
            " d.attendance_id FROM completions c"
            " JOIN providers p ON p.provider_id = c.provider_id JOIN courses k ON k.course_id = c.course_id"
            " LEFT JOIN completion_deliveries d ON d.completion_id = c.completion_id"
            " WHERE c.staff_id = ? AND c.year = ? AND c.recorded_at < ? ORDER BY c.position",
            (str(staff_id), year, cutoff),
        )
        entries = [
            ledger.Entry(r["completion_id"], r["course_id"], r["course_code"], r["category"], r["half_hours"],
                         r["year"], _reversed_by(r, cutoff))
            for r in rows
        ]
        statuses = ledger.statuses(entries)
        owed = person_requirement(self.records.store, str(staff_id), year, cutoff)
        totals = ledger.totals(entries, statuses, owed.required)

        def category(name: str) -> CategoryHours:
            return CategoryHours(earned=hours_of(totals.earned[name]), required=hours_of(totals.required[name]),
                                 shortfall=hours_of(totals.shortfall[name]))

        return PersonYear(
            staff_id=str(staff_id), year=year, on=on.isoformat() if on else None,
            skills=category(SKILLS), ethics=category(ETHICS), complete=totals.complete,
            entries=[self._entry(r, s, cutoff) for r, s in zip(rows, statuses, strict=True)],
            rules_version=owed.rules_version, roles=list(owed.roles), months_in_post=owed.months_in_post,
        )

    @staticmethod
    def _entry(row: Any, status: ledger.Status, cutoff: str) -> LedgerEntry:
        reversed_now = _reversed_by(row, cutoff)
        return LedgerEntry(
            completion_id=row["completion_id"], provider_id=row["provider_id"], provider_code=row["provider_code"],
            event_id=row["event_id"], course_code=row["course_code"], course_title=row["course_title"],
            category=row["category"], class_hours=hours_of(row["half_hours"]), completed_at=row["completed_at"],
            recorded_at=row["recorded_at"], status=status.status,  # type: ignore[arg-type]
            reason=row["reversal_reason"] if reversed_now else status.reason,
            counted_instead=status.counted_instead, replaces=row["replaces"],
            replaced_by=row["replaced_by"] if reversed_now else None,
            session_code=row["session_code"], mode=row["mode"], trainer_id=row["trainer_id"],
            attendance_id=row["attendance_id"],
        )

    def submissions(
        self, provider_id: UUID, *, after: int = 0, limit: int = 100, on: dt.date | None = None,
    ) -> SubmissionsPage:
        """A provider's completions in recorded order, a page at a time (``counted`` as decided on arrival)."""
        self.records.projector.catch_up("catalogue", "ledger")
        self.catalogue.provider(provider_id)
        cutoff = _cutoff(on)
        rows = self.records.store.query(
            "SELECT * FROM completions WHERE provider_id = ? AND position > ? AND recorded_at < ?"
            " ORDER BY position LIMIT ?",
            (str(provider_id), after, cutoff, limit + 1),
        )
        more = len(rows) > limit
        rows = rows[:limit]
        items = []
        for r in rows:
            reversed_now = _reversed_by(r, cutoff)
            items.append(Submission(
                position=r["position"], completion_id=r["completion_id"], event_id=r["event_id"],
                staff_id=r["staff_id"], course_code=r["course_code"], class_hours=hours_of(r["half_hours"]),
                completed_at=r["completed_at"], year=r["year"], recorded_at=r["recorded_at"],
                counted=bool(r["counted"]), reason=r["reason"], reversed=reversed_now,
                reversal_reason=r["reversal_reason"] if reversed_now else None, replaces=r["replaces"],
                replaced_by=r["replaced_by"] if reversed_now else None,
            ))
        return SubmissionsPage(items=items, next_after=rows[-1]["position"] if more else None)
