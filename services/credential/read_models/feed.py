"""The one place where the credential service's stored events become public contract events."""

from __future__ import annotations

import datetime as dt
from typing import Any

from contracts.events.credential import (
    AssignmentEnded, CredentialEvent, CredentialFeedPage, InspectionDrawAnnounced, InspectionDrawn, StaffAssigned,
    StaffRegistered,
)
from services.credential.domain.inspection_draw import Draw
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
    return None
