"""Findings: confirmed by the inspector on a visit, rectified by a deadline, closed or escalated on re-inspection."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from contracts.inspections import FindingConfirmation, FindingOutcome, FindingView, InspectorView
from services.credential.application.common import staff_row, today, uuid_field
from services.credential.application.visits import Visits
from services.credential.domain.inspection_finding import INTEGRITY_KINDS, Finding
from services.credential.domain.integrity import Violation
from shared.application import ServiceApplication
from shared.errors import Conflict, Invalid, NotFound


class Findings:
    """检查—整改—再检查: inspect, rectify, re-inspect."""

    def __init__(self, records: ServiceApplication, visits: Visits):
        self.records = records
        self.visits = visits

    def confirm(self, visit_id: UUID, data: FindingConfirmation, inspector: InspectorView,
                actor: dict[str, Any]) -> FindingView:
        """Confirm a finding; a holder mismatch also adds a warning to the person's integrity record, at once."""
        visit = self.visits.own_visit(visit_id, inspector)
        if data.due_on <= today():
            raise Invalid("the rectification deadline is after today", field="due_on")
        staff_id = None
        if data.staff_id is not None:
            self.records.projector.catch_up("registry")
            staff_id = str(staff_row(self.records.store, uuid_field(data.staff_id, "staff_id"), visible_to=None,
                                     field="staff_id")["staff_id"])
        if data.kind == "not_on_roster":
            if data.person_name is None and staff_id is None:
                raise Invalid("name the person working who is not on the roster", field="person_name")
        elif staff_id is None:
            raise Invalid(f"a {data.kind} finding names the person", field="staff_id")
        finding = Finding(visit_id=str(visit.id), nursery_id=visit.nursery_id, inspector_id=inspector.inspector_id,
                          kind=data.kind, staff_id=staff_id, person_name=data.person_name, detail=data.detail,
                          due_on=data.due_on.isoformat(), actor=actor)
        aggregates: list[Any] = [finding]
        if data.kind in INTEGRITY_KINDS and staff_id is not None:
            aggregates.append(Violation(
                staff_id=staff_id, what=f"inspection finding {data.kind}: {data.detail}"[:1000],
                occurred_on=today().isoformat(), action="warning", certificate_ids=[], actor=actor,
            ))
        self.records.save_and_project(*aggregates)
        return self.finding(finding.id)

    def conclude(self, visit_id: UUID, finding_id: UUID, data: FindingOutcome, inspector: InspectorView,
                 actor: dict[str, Any]) -> FindingView:
        """On a re-inspection visit that names the finding: closed (rectified) or escalated with a new deadline."""
        visit = self.visits.own_visit(visit_id, inspector)
        if visit.kind != "reinspection" or str(finding_id) not in visit.finding_ids:
            raise Conflict("this visit does not re-inspect this finding", code="not_reinspected_here")
        finding: Finding = self.records.repository.get(finding_id)
        if finding.status == "closed":
            raise Conflict("the finding is closed", code="finding_closed")
        if data.outcome == "closed":
            if data.due_on is not None:
                raise Invalid("a closed finding takes no new deadline", field="due_on")
            finding.close(visit_id=str(visit_id), note=data.note, actor=actor)
        else:
            if data.due_on is None or data.due_on <= today():
                raise Invalid("an escalated finding gets a new deadline after today", field="due_on")
            finding.escalate(visit_id=str(visit_id), note=data.note, due_on=data.due_on.isoformat(), actor=actor)
        self.records.save_and_project(finding)
        return self.finding(finding_id)

    def finding(self, finding_id: UUID | str, *, visible_to: UUID | None = None) -> FindingView:
        self.records.projector.catch_up("inspections")
        row = self.records.store.query_one("SELECT * FROM inspection_findings WHERE finding_id = ?", (str(finding_id),))
        if row is None or (visible_to is not None and row["nursery_id"] != str(visible_to)):
            raise NotFound(f"no finding with id {finding_id}")
        return _view(row, today())

    def findings(self, *, nursery_id: str | None, status: str | None, overdue_only: bool = False,
                 limit: int = 500) -> list[FindingView]:
        """Findings by deadline; ``status`` ``unresolved`` is open or escalated."""
        self.records.projector.catch_up("inspections")
        on = today()
        statement, params = "SELECT * FROM inspection_findings WHERE 1 = 1", []
        if nursery_id is not None:
            statement, params = statement + " AND nursery_id = ?", [*params, nursery_id]
        if status == "unresolved" or overdue_only:
            statement += " AND status <> 'closed'"
        elif status is not None:
            statement, params = statement + " AND status = ?", [*params, status]
        if overdue_only:
            statement, params = statement + " AND due_on < ?", [*params, on.isoformat()]
        rows = self.records.store.query(statement + " ORDER BY due_on, finding_id LIMIT ?", [*params, limit])
        return [_view(r, on) for r in rows]


def _view(row: Any, on: dt.date) -> FindingView:
    due_on = dt.date.fromisoformat(row["due_on"])
    return FindingView(
        finding_id=row["finding_id"], visit_id=row["visit_id"], nursery_id=row["nursery_id"],
        inspector_id=row["inspector_id"], kind=row["kind"], staff_id=row["staff_id"], person_name=row["person_name"],
        detail=row["detail"], due_on=due_on, status=row["status"], overdue=row["status"] != "closed" and due_on < on,
        confirmed_on=dt.date.fromisoformat(row["confirmed_on"]),
        closed_on=dt.date.fromisoformat(row["closed_on"]) if row["closed_on"] else None, escalations=int(row["escalations"]),
    )
