"""Inspections: inspectors (registrar), monthly draws (registrar; anyone with a key reads and re-verifies them),
visits, scans and findings (an inspector key scoped to a registered inspector), findings for HR (its nursery)."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, Parameter

from contracts.inspections import (
    DrawAnnouncement, DrawReveal, DrawView, FindingConfirmation, FindingOutcome, FindingView, InspectorActivity,
    InspectorView, NewConflict, NewInspector, NewVisit, ProposedFinding, Redraw, ScanBatch, ScanReceipt, VisitClosing,
    VisitView,
)
from contracts.keys import Role
from services.credential.application.draws import Draws
from services.credential.application.findings import Findings
from services.credential.application.inspectors import Inspectors
from services.credential.application.visits import Visits
from shared.auth.roles import Principal
from shared.errors import NotFound
from shared.http.auth import allow
from shared.http.params import path_text
from shared.http.scope import nursery_scope, require_own_nursery

MonthPath = path_text("The month, e.g. 2027-01", max_length=7, pattern=r"^\d{4}-(0[1-9]|1[0-2])$")
DISTRICT = (Role.REGISTRAR, Role.INSPECTOR, Role.AUDITOR)


class InspectorController(Controller):
    """Inspectors (督导检查员), registered by the registrar; an inspector key may be scoped to one."""

    path = "/v1/inspectors"
    tags = ["inspections"]

    @post("/", guards=[allow(Role.REGISTRAR)], sync_to_thread=True)
    def register(self, inspectors: NamedDependency[Inspectors], data: JSONBody[NewInspector],
                 request: Request[Principal, Any, Any]) -> InspectorView:
        """Register an inspector (active)."""
        return inspectors.register(data, request.user.actor())

    @get("/", guards=[allow(*DISTRICT)], sync_to_thread=True)
    def list_inspectors(self, inspectors: NamedDependency[Inspectors],
                        request: Request[Principal, Any, Any]) -> list[InspectorView]:
        """Every inspector, with the nurseries each declared a conflict with."""
        return inspectors.inspectors()

    @get("/{inspector_id:uuid}", guards=[allow(*DISTRICT)], sync_to_thread=True)
    def get_inspector(self, inspectors: NamedDependency[Inspectors], inspector_id: FromPath[UUID],
                      request: Request[Principal, Any, Any]) -> InspectorView:
        """One inspector (404 when unknown)."""
        return inspectors.inspector(inspector_id)

    @post("/{inspector_id:uuid}/activity", guards=[allow(Role.REGISTRAR)], sync_to_thread=True, status_code=200)
    def set_active(self, inspectors: NamedDependency[Inspectors], inspector_id: FromPath[UUID],
                   data: JSONBody[InspectorActivity], request: Request[Principal, Any, Any]) -> InspectorView:
        """Make the inspector active or inactive, with the reason (404 unknown, 409 ``unchanged``)."""
        return inspectors.set_active(inspector_id, data, request.user.actor())

    @post("/{inspector_id:uuid}/conflicts", guards=[allow(Role.REGISTRAR)], sync_to_thread=True)
    def declare_conflict(self, inspectors: NamedDependency[Inspectors], inspector_id: FromPath[UUID],
                         data: JSONBody[NewConflict], request: Request[Principal, Any, Any]) -> InspectorView:
        """Declare a conflict of interest with a nursery: never drawn for it (404 unknown inspector, 422 unknown
        nursery, 409 ``conflict_declared``)."""
        return inspectors.declare_conflict(inspector_id, data, request.user.actor())


class DrawController(Controller):
    """The monthly 双随机 draw: announced with a commitment, drawn from published inputs (docs/inspections.md)."""

    path = "/v1/inspections/draws"
    tags = ["inspections"]

    @post("/", guards=[allow(Role.REGISTRAR)], sync_to_thread=True)
    def announce(self, draws: NamedDependency[Draws], data: JSONBody[DrawAnnouncement],
                 request: Request[Principal, Any, Any]) -> DrawView:
        """Announce a month: the pool, active inspectors and conflicts as now, the commitment and the beacon
        (409 ``draw_announced``, ``empty_pool``, ``no_active_inspector``)."""
        return draws.announce(data, request.user.actor())

    @get("/", guards=[allow(*DISTRICT)], sync_to_thread=True)
    def list_draws(self, draws: NamedDependency[Draws], request: Request[Principal, Any, Any]) -> list[DrawView]:
        """Every month's draw, every round."""
        return draws.months()

    @get("/{month:str}", guards=[allow(*DISTRICT)], sync_to_thread=True)
    def get_draw(self, draws: NamedDependency[Draws], month: MonthPath,
                 request: Request[Principal, Any, Any]) -> DrawView:
        """A month's draw with every published input (404 when not announced)."""
        return draws.draw_of(month)

    @post("/{month:str}/draw", guards=[allow(Role.REGISTRAR)], sync_to_thread=True, status_code=200)
    def draw(self, draws: NamedDependency[Draws], month: MonthPath, data: JSONBody[DrawReveal],
             request: Request[Principal, Any, Any]) -> DrawView:
        """Reveal the seed and enter the beacon value: the pairs follow (404 not announced, 422
        ``commitment_mismatch``, 409 ``already_drawn``, ``beacon_not_published``)."""
        return draws.draw(month, data, request.user.actor())

    @post("/{month:str}/redraw", guards=[allow(Role.REGISTRAR)], sync_to_thread=True, status_code=200)
    def redraw(self, draws: NamedDependency[Draws], month: MonthPath, data: JSONBody[Redraw],
               request: Request[Principal, Any, Any]) -> DrawView:
        """Announce a new round for the month, with the reason; the earlier round stays published (404)."""
        return draws.redraw(month, data, request.user.actor())


class VisitController(Controller):
    """On-site visits: an inspector key scoped to a registered inspector opens, scans, closes, confirms findings."""

    path = "/v1/inspections/visits"
    tags = ["inspections"]

    @post("/", guards=[allow(Role.INSPECTOR)], sync_to_thread=True)
    def open_visit(self, visits: NamedDependency[Visits], inspectors: NamedDependency[Inspectors],
                   data: JSONBody[NewVisit], request: Request[Principal, Any, Any]) -> VisitView:
        """Open a visit (403 ``inspector_not_scoped``, ``inspector_inactive``; 422 ``not_drawn``, ``unknown_finding``;
        409 ``conflict_of_interest``)."""
        inspector = inspectors.acting(request.user.scope)
        return visits.open(data, inspector, request.user.actor())

    @get("/", guards=[allow(Role.REGISTRAR, Role.INSPECTOR, Role.AUDITOR, Role.HR)], sync_to_thread=True)
    def list_visits(self, visits: NamedDependency[Visits], request: Request[Principal, Any, Any],
                    nursery_id: Annotated[UUID | None, Parameter(description="Only visits to this nursery")] = None,
                    inspector_id: Annotated[UUID | None, Parameter(description="Only this inspector's")] = None,
                    ) -> list[VisitView]:
        """Visits, latest first; an hr key sees its own nursery's only (403 for another)."""
        own = nursery_scope(request.user)
        if own is not None:
            require_own_nursery(request.user, nursery_id or own)
            nursery_id = own
        return visits.visits(nursery_id=str(nursery_id) if nursery_id else None,
                             inspector_id=str(inspector_id) if inspector_id else None)

    @get("/{visit_id:uuid}", guards=[allow(Role.REGISTRAR, Role.INSPECTOR, Role.AUDITOR, Role.HR)], sync_to_thread=True)
    def get_visit(self, visits: NamedDependency[Visits], visit_id: FromPath[UUID],
                  request: Request[Principal, Any, Any]) -> VisitView:
        """One visit with its scans (404 unknown, or another nursery's for an hr key)."""
        visit = visits.visit(visit_id)
        own = nursery_scope(request.user)
        if own is not None and visit.nursery_id != str(own):
            raise NotFound(f"no visit with id {visit_id}")
        return visit

    @post("/{visit_id:uuid}/scans", guards=[allow(Role.INSPECTOR)], sync_to_thread=True, status_code=200)
    def scan(self, visits: NamedDependency[Visits], inspectors: NamedDependency[Inspectors], visit_id: FromPath[UUID],
             data: JSONBody[ScanBatch], request: Request[Principal, Any, Any]) -> ScanReceipt:
        """Record scans (maybe made offline, with their scan time); one already recorded (same client scan id) is
        kept once (403 ``inspector_not_scoped``, 404 not your visit, 409 ``visit_closed``, 422 a scan's field)."""
        inspector = inspectors.acting(request.user.scope)
        return visits.scan(visit_id, data, inspector, request.user.actor())

    @post("/{visit_id:uuid}/close", guards=[allow(Role.INSPECTOR)], sync_to_thread=True, status_code=200)
    def close(self, visits: NamedDependency[Visits], inspectors: NamedDependency[Inspectors], visit_id: FromPath[UUID],
              data: JSONBody[VisitClosing], request: Request[Principal, Any, Any]) -> VisitView:
        """Close the visit (403 ``inspector_not_scoped``, 404 not your visit, 409 ``visit_closed``)."""
        inspector = inspectors.acting(request.user.scope)
        return visits.close(visit_id, data, inspector, request.user.actor())

    @get("/{visit_id:uuid}/proposed-findings", guards=[allow(Role.INSPECTOR)], sync_to_thread=True)
    def proposed(self, visits: NamedDependency[Visits], inspectors: NamedDependency[Inspectors],
                 visit_id: FromPath[UUID], request: Request[Principal, Any, Any]) -> list[ProposedFinding]:
        """What the scans and the roster suggest, for the inspector to confirm (403 unscoped, 404 not your visit)."""
        inspector = inspectors.acting(request.user.scope)
        return visits.proposals(visit_id, inspector)

    @post("/{visit_id:uuid}/findings", guards=[allow(Role.INSPECTOR)], sync_to_thread=True)
    def confirm(self, findings: NamedDependency[Findings], inspectors: NamedDependency[Inspectors],
                visit_id: FromPath[UUID], data: JSONBody[FindingConfirmation],
                request: Request[Principal, Any, Any]) -> FindingView:
        """Confirm a finding with its rectification deadline (403 unscoped, 404 not your visit, 409 ``visit_closed``,
        422 a field); a holder mismatch also adds a warning to the person's integrity record."""
        inspector = inspectors.acting(request.user.scope)
        return findings.confirm(visit_id, data, inspector, request.user.actor())

    @post("/{visit_id:uuid}/findings/{finding_id:uuid}/outcome", guards=[allow(Role.INSPECTOR)], sync_to_thread=True,
          status_code=200)
    def conclude(self, findings: NamedDependency[Findings], inspectors: NamedDependency[Inspectors],
                 visit_id: FromPath[UUID], finding_id: FromPath[UUID], data: JSONBody[FindingOutcome],
                 request: Request[Principal, Any, Any]) -> FindingView:
        """At a re-inspection: close (rectified) or escalate with a new deadline (403 unscoped, 404 not your visit,
        409 ``not_reinspected_here``, ``finding_closed``, ``visit_closed``, 422 ``due_on``)."""
        inspector = inspectors.acting(request.user.scope)
        return findings.conclude(visit_id, finding_id, data, inspector, request.user.actor())


class FindingController(Controller):
    """Findings to rectify: the district sees all (overdue ones too), HR its own nursery's."""

    path = "/v1/inspections/findings"
    tags = ["inspections"]

    @get("/", guards=[allow(Role.REGISTRAR, Role.INSPECTOR, Role.AUDITOR, Role.HR)], sync_to_thread=True)
    def list_findings(
        self, findings: NamedDependency[Findings], request: Request[Principal, Any, Any],
        nursery_id: Annotated[UUID | None, Parameter(description="Only this nursery's")] = None,
        status: Annotated[Literal["open", "escalated", "closed", "unresolved"] | None,
                          Parameter(description="unresolved: open or escalated")] = None,
        overdue: Annotated[bool, Parameter(description="Only unresolved findings past their deadline")] = False,
    ) -> list[FindingView]:
        """Findings by deadline; an hr key sees its own nursery's only (403 for another)."""
        own = nursery_scope(request.user)
        if own is not None:
            require_own_nursery(request.user, nursery_id or own)
            nursery_id = own
        return findings.findings(nursery_id=str(nursery_id) if nursery_id else None, status=status, overdue_only=overdue)

    @get("/{finding_id:uuid}", guards=[allow(Role.REGISTRAR, Role.INSPECTOR, Role.AUDITOR, Role.HR)], sync_to_thread=True)
    def get_finding(self, findings: NamedDependency[Findings], finding_id: FromPath[UUID],
                    request: Request[Principal, Any, Any]) -> FindingView:
        """One finding (404 unknown, or another nursery's for an hr key)."""
        return findings.finding(finding_id, visible_to=nursery_scope(request.user))


INSPECTION_CONTROLLERS = [InspectorController, DrawController, VisitController, FindingController]
