"""Compliance reports as on a date: a person's profile, a nursery's roster, district figures."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, Parameter

from contracts.credentials import DistrictFigures, Profile, Roster
from contracts.district import DistrictTargets, NewAnnualFigures, SignedAnnualFigures
from contracts.keys import Role
from services.credential.application import recorded
from services.credential.application.annual_figures import AnnualFiguresPublisher
from services.credential.application.inspections import InspectionReports
from services.credential.application.queries import Reports
from services.credential.application.targets import PlanTargets
from services.credential.http.dates import OnDate, on_or_today
from shared.auth.roles import Principal
from shared.http.auth import allow
from shared.http.params import AsOf, checked_instant
from shared.http.scope import nursery_scope, require_own_nursery

INTEGRITY_READERS = (Role.REGISTRAR, Role.HR, Role.AUDITOR)


class ProfileController(Controller):
    """A person's profile: certificates, assignments with compliance, integrity record."""

    path = "/v1/staff/{staff_id:uuid}/profile"
    tags = ["staff"]

    @get("/", guards=[allow(Role.REGISTRAR, Role.HR, Role.INSPECTOR, Role.AUDITOR)], sync_to_thread=True)
    def profile(self, reports: NamedDependency[Reports], staff_id: FromPath[UUID], request: Request[Principal, Any, Any],
                on: OnDate = None, as_of: AsOf = None) -> Profile:
        """The person as on the date (404 for an hr key of a nursery that cannot see them); ``as_of``: as recorded then."""
        principal = request.user
        return reports.profile(
            staff_id, on=on_or_today(on), visible_to=nursery_scope(principal),
            with_integrity=principal.role in INTEGRITY_READERS, as_of=checked_instant(as_of),
        )


class RosterController(Controller):
    """A nursery's roster with each person's compliance and its 持证上岗率."""

    path = "/v1/nurseries/{nursery_id:uuid}/roster"
    tags = ["nurseries"]

    @get("/", guards=[allow(Role.REGISTRAR, Role.HR, Role.INSPECTOR, Role.AUDITOR)], sync_to_thread=True)
    def roster(self, reports: NamedDependency[Reports], nursery_id: FromPath[UUID], request: Request[Principal, Any, Any],
               on: OnDate = None, as_of: AsOf = None) -> Roster:
        """People at work on the date, non-compliant first (an hr key: its own nursery only); ``as_of``: as recorded then."""
        require_own_nursery(request.user, nursery_id)
        return reports.roster(nursery_id, on=on_or_today(on), as_of=checked_instant(as_of))


class DistrictController(Controller):
    """District figures against the targets of the action plan."""

    path = "/v1/district"
    tags = ["district"]

    @get("/figures", guards=[allow(Role.REGISTRAR, Role.INSPECTOR, Role.AUDITOR)], sync_to_thread=True)
    def figures(
        self, reports: NamedDependency[Reports], inspection_reports: NamedDependency[InspectionReports],
        request: Request[Principal, Any, Any], on: OnDate = None, as_of: AsOf = None,
    ) -> DistrictFigures:
        """持证上岗率 overall and per nursery, public kindergarten teachers with 育婴员证 (target 75%), expiring soon;
        on-site inspections (``inspections``). ``as_of``: as recorded then (the inspection figures too)."""
        day, instant = on_or_today(on), checked_instant(as_of)
        figures = reports.district_figures(on=day, as_of=instant)
        return msgspec.structs.replace(figures, inspections=inspection_reports.figures(day, recorded.stamp(instant)))

    @get("/targets", guards=[allow(Role.REGISTRAR, Role.INSPECTOR, Role.AUDITOR)], sync_to_thread=True)
    def targets(
        self, targets: NamedDependency[PlanTargets],
        request: Request[Principal, Any, Any], on: OnDate = None, as_of: AsOf = None,
    ) -> DistrictTargets:
        """The action plan's targets on the date: town coverage, inclusive share, kindergartens with 托班,
        持证上岗率, 育婴员证, training; each with numerator, denominator and target. ``as_of``: as recorded then."""
        return targets.targets(on=on_or_today(on), as_of=checked_instant(as_of))

    @post("/annual-figures", guards=[allow(Role.REGISTRAR)], sync_to_thread=True, status_code=200)
    def publish_annual_figures(
        self, annual_figures: NamedDependency[AnnualFiguresPublisher], data: JSONBody[NewAnnualFigures],
        request: Request[Principal, Any, Any],
    ) -> SignedAnnualFigures:
        """Publish a year's targets and figures, signed with the checkpoint key and bound to a new checkpoint of the
        log (``carecred audit verify-figures`` recomputes them from that prefix of the log)."""
        return annual_figures.publish(data)

    @get("/annual-figures/{year:int}", guards=[allow(Role.REGISTRAR, Role.INSPECTOR, Role.AUDITOR)], sync_to_thread=True)
    def annual_figures(
        self, annual_figures: NamedDependency[AnnualFiguresPublisher], year: Annotated[int, Parameter(ge=2000, le=2200)],
        request: Request[Principal, Any, Any],
    ) -> SignedAnnualFigures:
        """The figures last published for the year, as signed."""
        return annual_figures.published(year)
