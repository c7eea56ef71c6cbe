"""The one place where the credential service's stored events become public contract events."""

from __future__ import annotations

import datetime as dt
from typing import Any

from contracts.events.credential import (
    AssignmentEnded, CredentialEvent, CredentialFeedPage, FindingClosed, FindingConfirmed, FindingEscalated,
    InspectionDrawAnnounced, InspectionDrawn, InspectorConflictDeclared, InspectorDeactivated, InspectorReactivated,
    InspectorRegistered, ScanRecorded, StaffAssigned, StaffRegistered, VisitClosed, VisitOpened,
)
from services.credential.domain.inspection import Inspector
from services.credential.domain.inspection_draw import Draw
from services.credential.domain.inspection_finding import Finding
from services.credential.domain.inspection_visit import Visit
from services.credential.domain.assignment import Assignment
from services.credential.domain.staff import Staff
from shared.application import ServiceApplication

FEED_PAGE = CredentialFeedPage


def public_event(app: ServiceApplication, event: Any, position: int) -> CredentialEvent | None:
    """Map a stored event to what the training service may know; None keeps it private."""
    match event:
        case Staff.Registered():
            return StaffRegistered(staff_id=str(event.originator_id), id_hash=event.id_hash,
                                   registered_by=event.registered_by)
        case Assignment.Made():
            return StaffAssigned(assignment_id=str(event.originator_id), staff_id=event.staff_id,
                                 nursery_id=event.nursery_id, role=event.role,
                                 starts_on=dt.date.fromisoformat(event.start_on))
        case Assignment.Ended():
            assignment = app.repository.get(event.originator_id, version=event.originator_version)
            return AssignmentEnded(assignment_id=str(event.originator_id), staff_id=assignment.staff_id,
                                   nursery_id=assignment.nursery_id, ends_on=dt.date.fromisoformat(event.end_on))
        case Draw.Announced() | Draw.Reannounced():
            draw = app.repository.get(event.originator_id, version=event.originator_version)
            return InspectionDrawAnnounced(
                month=draw.month, round=draw.round, reason=getattr(event, "reason", None), count=event.count,
                weighting=draw.weighting, pool=event.pool, inspectors=event.inspectors, conflicts=event.conflicts,
                previous=event.previous, commitment=event.commitment, beacon_source=event.beacon_source,
                beacon_on=dt.date.fromisoformat(event.beacon_on))
        case Draw.Drawn():
            draw = app.repository.get(event.originator_id, version=event.originator_version)
            return InspectionDrawn(month=draw.month, round=event.round, seed=event.seed, beacon=event.beacon,
                                   log_size=event.log_size, log_root=event.log_root, pairs=event.pairs)
    return inspection_event(app, event)


def inspection_event(app: ServiceApplication, event: Any) -> CredentialEvent | None:
    """Inspectors, visits, scans and findings by ids, kinds, verdicts and deadlines: never a name, a reason,
    a note or a finding's detail (free text about people), never a badge's QR text or a typed ID number."""
    match event:
        case Inspector.Registered():
            return InspectorRegistered(inspector_id=str(event.originator_id))
        case Inspector.Deactivated():
            return InspectorDeactivated(inspector_id=str(event.originator_id))
        case Inspector.Reactivated():
            return InspectorReactivated(inspector_id=str(event.originator_id))
        case Inspector.ConflictDeclared():
            return InspectorConflictDeclared(inspector_id=str(event.originator_id), nursery_id=event.nursery_id)
        case Visit.Opened():
            return VisitOpened(visit_id=str(event.originator_id), inspector_id=event.inspector_id,
                               nursery_id=event.nursery_id, kind=event.kind, draw_month=event.draw_month,
                               finding_ids=list(event.finding_ids))
        case Visit.Scanned():
            return ScanRecorded(
                visit_id=str(event.originator_id), scan_id=event.client_scan_id,
                scanned_at=dt.datetime.fromisoformat(event.scanned_at), badge_id=event.badge_id,
                staff_id=event.staff_id, verdict=event.verdict, holder_check=event.holder_check,
                status_stale=event.status_stale, device_verdict=event.device_verdict)
        case Visit.Closed():
            visit = app.repository.get(event.originator_id, version=event.originator_version)
            return VisitClosed(visit_id=str(event.originator_id), nursery_id=visit.nursery_id)
        case Finding.Confirmed():
            return FindingConfirmed(
                finding_id=str(event.originator_id), visit_id=event.visit_id, nursery_id=event.nursery_id,
                inspector_id=event.inspector_id, kind=event.kind, staff_id=event.staff_id,
                due_on=dt.date.fromisoformat(event.due_on))
        case Finding.Closed():
            finding = app.repository.get(event.originator_id, version=event.originator_version)
            return FindingClosed(finding_id=str(event.originator_id), visit_id=event.visit_id,
                                 nursery_id=finding.nursery_id)
        case Finding.Escalated():
            finding = app.repository.get(event.originator_id, version=event.originator_version)
            return FindingEscalated(finding_id=str(event.originator_id), visit_id=event.visit_id,
                                    nursery_id=finding.nursery_id, due_on=dt.date.fromisoformat(event.due_on))
    return None
