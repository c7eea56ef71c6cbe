"""Inspection figures as on a date: visits per nursery this year against 2, visits and random checks per month,
open and overdue findings (what ``/v1/district/figures`` shows in its ``inspections`` section).

With ``as_of`` (an instant, UTC ISO 8601) each figure counts only what had been recorded by then: visits opened,
findings confirmed, closures and deadlines (set at confirmation or escalation) recorded by ``as_of``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from contracts.inspections import InspectionFigures, NurseryVisits
from shared.application import ServiceApplication

REQUIRED_VISITS = 2
"""每年至少实地巡查2次: on-site inspections each nursery needs in a calendar year."""
FOREVER = "9999-12-31T23:59:59+00:00"
"""``as_of`` when none is given: everything recorded."""
IN_FORCE = ("SELECT d.due_on FROM inspection_finding_deadlines d WHERE d.finding_id = inspection_findings.finding_id"
            " AND d.set_on <= ? AND d.set_at <= ? ORDER BY d.position DESC LIMIT 1")
"""A finding's deadline as it stood on a day: the last one set (confirmed or escalated) by that day."""


class InspectionReports:
    """The district's view of inspections, each figure counted as the read model stands for ``on``."""

    def __init__(self, records: ServiceApplication):
        self.records = records

    def figures(self, on: dt.date, as_of: str | None = None) -> InspectionFigures:
        self.records.projector.catch_up("registry", "inspections")
        store = self.records.store
        at = as_of or FOREVER
        year_start, day = f"{on.year}-01-01", on.isoformat()
        counts = {r["nursery_id"]: int(r["visits"]) for r in store.query(
            "SELECT nursery_id, COUNT(*) AS visits FROM inspection_visits WHERE opened_on >= ? AND opened_on <= ?"
            " AND opened_at <= ? GROUP BY nursery_id", (year_start, day, at))}
        nurseries = store.query("SELECT nursery_id, name FROM nurseries ORDER BY name, nursery_id")
        per_nursery = [NurseryVisits(nursery_id=n["nursery_id"], name=n["name"], visits=counts.get(n["nursery_id"], 0),
                                     required=REQUIRED_VISITS) for n in nurseries]
        return InspectionFigures(
            on=on, year=on.year, visits_per_nursery=per_nursery,
            nurseries_below_required=sum(1 for n in per_nursery if n.visits < REQUIRED_VISITS),
            visits_per_month=self._per_month(store, year_start, day, at, ""),
            random_checks_per_month=self._per_month(store, year_start, day, at, " AND kind = 'random'"),
            open_findings=self._findings(store, day, at, ""),
            overdue_findings=self._findings(store, day, at, f" AND ({IN_FORCE}) < ?", day, at, day),
        )

    @staticmethod
    def _per_month(store: Any, start: str, day: str, at: str, where: str) -> dict[str, int]:
        rows = store.query(
            "SELECT SUBSTR(opened_on, 1, 7) AS month, COUNT(*) AS visits FROM inspection_visits"
            f" WHERE opened_on >= ? AND opened_on <= ? AND opened_at <= ?{where} GROUP BY SUBSTR(opened_on, 1, 7)",
            (start, day, at))
        return {r["month"]: int(r["visits"]) for r in sorted(rows, key=lambda r: r["month"])}

    @staticmethod
    def _findings(store: Any, day: str, at: str, where: str, *more: str) -> int:
        """Findings confirmed by ``day`` and not closed by it (as recorded by ``at``)."""
        row = store.query_one(
            "SELECT COUNT(*) AS n FROM inspection_findings WHERE confirmed_on <= ? AND confirmed_at <= ?"
            " AND (closed_on IS NULL OR closed_on > ? OR closed_at > ?)" + where, (day, at, day, at, *more))
        return int(row["n"])
