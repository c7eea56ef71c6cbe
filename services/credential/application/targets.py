"""The action plan's targets (金山区托育服务三年行动计划) for the district as on a date.

Facility targets are counted from the nurseries' lives (``nursery_states``); staff targets reuse
the district figures (``Reports.district_figures``: 持证上岗率, 育婴员证, training). Inspection targets
(每年至少实地巡查2次, the monthly 双随机 checks, open and overdue findings) are counted by
``InspectionReports.figures``; only nurseries open on the date (their lives) are in the denominator.
Each target is a ``TargetFigure``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from contracts.district import DistrictTargets, TargetFigure, TownCoverage
from contracts.inspections import InspectionFigures
from services.credential.application.inspections import REQUIRED_VISITS, InspectionReports
from services.credential.application.nurseries import NurseryLifecycle
from services.credential.application.queries import INFANT_CARE_TARGET, Reports, rate
from services.credential.application import recorded
from services.credential.domain.nursery import JINSHAN_AREAS, offers_care

COVERAGE_TARGET = 1.0
"""全区街镇、金山工业区托育机构覆盖率达 100%."""
INCLUSIVE_TARGET = 0.85
"""普惠性托育机构达 85%."""
KINDERGARTEN_CLASSES_TARGET = 0.5
"""到2023年全区50%幼儿园开设托班."""
CERTIFIED_TARGET = 1.0
"""全区托育从业人员持证上岗率达 100%."""
TRAINING_TARGET = 1.0
"""落实每年不少于 72 课时的综合技能培训、不少于 40 课时的职业道德教育: everyone at work, every year."""
INSPECTED_TARGET = 1.0
"""每年至少实地巡查2次: every open nursery, twice in the calendar year."""
RANDOM_CHECK_TARGET = 1.0
"""“双随机”抽查 every month: each month of the year so far has at least one random check."""


def figure(code: str, title: str, numerator: int, denominator: int, target: float | None) -> TargetFigure:
    share = rate(numerator, denominator)
    met = None if share is None or target is None else share >= target
    return TargetFigure(code=code, title_zh=title, numerator=numerator, denominator=denominator, rate=share,
                        target=target, met=met)


def facility_targets(states: list[Any]) -> tuple[list[TargetFigure], list[TownCoverage], list[Any]]:
    """Coverage, inclusive share and kindergartens with nursery classes, from the nurseries as on a date."""
    open_now = [s for s in states if s["status"] == "open"]
    caring = [s for s in open_now if offers_care(s["kind"], s["capacity"])]
    towns = [
        TownCoverage(town=town, covered=any(s["town"] == town for s in caring),
                     facilities=sum(s["town"] == town for s in caring),
                     inclusive_facilities=sum(s["town"] == town and bool(s["inclusive"]) for s in caring))
        for town in JINSHAN_AREAS
    ]
    kindergartens = [s for s in open_now if s["kind"] == "kindergarten"]
    figures = [
        figure("town_coverage", "全区街镇、金山工业区托育机构覆盖率达 100%", sum(t.covered for t in towns),
               len(JINSHAN_AREAS), COVERAGE_TARGET),
        figure("inclusive_share", "普惠性托育机构达 85%", sum(bool(s["inclusive"]) for s in caring), len(caring),
               INCLUSIVE_TARGET),
        figure("kindergarten_nursery_classes", "到2023年全区50%幼儿园开设托班",
               sum(offers_care(s["kind"], s["capacity"]) for s in kindergartens), len(kindergartens),
               KINDERGARTEN_CLASSES_TARGET),
    ]
    return figures, towns, caring


def inspection_targets(inspections: InspectionFigures, open_ids: set[str], on: dt.date) -> list[TargetFigure]:
    """On-site inspections of the open nurseries this year, the months with a random check, findings open and
    overdue on ``on`` (these two have no share as target: they are counts to follow)."""
    visited = sum(1 for n in inspections.visits_per_nursery if n.nursery_id in open_ids and n.visits >= REQUIRED_VISITS)
    months = sum(1 for count in inspections.random_checks_per_month.values() if count > 0)
    return [
        figure("inspected_twice", "每年至少实地巡查2次", visited, len(open_ids), INSPECTED_TARGET),
        figure("random_checks_monthly", "每月开展“双随机”抽查", months, on.month, RANDOM_CHECK_TARGET),
        figure("findings_overdue", "检查发现问题：整改逾期 / 未整改", inspections.overdue_findings,
               inspections.open_findings, None),
    ]


class PlanTargets:
    """The registrar's, inspectors' and auditors' view of the plan's targets on a date."""

    def __init__(self, lifecycle: NurseryLifecycle, reports: Reports, inspections: InspectionReports):
        self.lifecycle = lifecycle
        self.reports = reports
        self.inspections = inspections

    def targets(self, *, on: dt.date, as_of: dt.datetime | None = None) -> DistrictTargets:
        at = recorded.stamp(as_of)
        computed_at = dt.datetime.now(dt.UTC).isoformat()
        states = _rows(self.lifecycle.on(on, at))
        facilities, towns, caring = facility_targets(states)
        staff = self.reports.district_figures(on=on, as_of=as_of)
        teachers = staff.public_kindergarten_teachers
        inspections = self.inspections.figures(on, at)
        figures = [
            *facilities,
            figure("certified_rate", "全区托育从业人员持证上岗率达 100%", staff.compliant_people, staff.people,
                   CERTIFIED_TARGET),
            figure("infant_care_share", "全区公办园教师持育婴员证比例不低于 75%", teachers.with_infant_care,
                   teachers.teachers, INFANT_CARE_TARGET),
            figure("training_completion", "每年不少于 72 课时综合技能培训、40 课时职业道德教育",
                   staff.training_complete_people or 0, staff.people, TRAINING_TARGET),
            *inspection_targets(inspections, {s["nursery_id"] for s in states if s["status"] == "open"}, on),
        ]
        return DistrictTargets(
            on=on.isoformat(), as_of=at, computed_at=computed_at, policy_version=staff.policy_version,
            targets=figures, towns=towns, open_facilities=len(caring),
            suspended_facilities=sum(s["status"] == "suspended" for s in states),
            closed_facilities=sum(s["status"] == "closed" for s in states),
            training_as_of=staff.training_as_of, random_checks_per_month=inspections.random_checks_per_month,
        )


def _rows(states: list[Any]) -> list[dict[str, Any]]:
    return [{f: getattr(s, f) for f in s.__struct_fields__} for s in states]
