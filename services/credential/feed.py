"""The one place where the credential service's stored events become public contract events."""

from __future__ import annotations

from typing import Any

from contracts.events.credential import CredentialEvent, CredentialFeedPage, StaffRegistered
from services.credential.domain.staff import Staff

FEED_PAGE = CredentialFeedPage


def public_event(event: Any) -> CredentialEvent | None:
    """Map a stored event to what the training service may know; None keeps it private."""
    match event:
        case Staff.Registered():
            return StaffRegistered(staff_id=str(event.originator_id), id_hash=event.id_hash,
                                   registered_by=event.registered_by)
    return None
