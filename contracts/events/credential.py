"""Events the credential service publishes: who is registered and where they work.

No personal data beyond what the training service needs: the staff id, and the keyed hash
of the ID number for national-ID lookup — never the number itself, never the name.
"""

from __future__ import annotations

import datetime as dt

import msgspec

from contracts.events.feed import FeedPage


class StaffRegistered(msgspec.Struct, tag="staff.registered.v1", kw_only=True, frozen=True):
    """A person was entered in the staff registry."""

    staff_id: str
    id_hash: str
    registered_by: str | None = None
    """The registering nursery, if any."""


class StaffAssigned(msgspec.Struct, tag="staff.assigned.v1", kw_only=True, frozen=True):
    """A person was assigned to a role at a nursery from a date."""

    assignment_id: str
    staff_id: str
    nursery_id: str
    role: str
    starts_on: dt.date


class AssignmentEnded(msgspec.Struct, tag="staff.assignment-ended.v1", kw_only=True, frozen=True):
    """A person's assignment at a nursery ended."""

    assignment_id: str
    staff_id: str
    nursery_id: str
    ends_on: dt.date


CredentialEvent = StaffRegistered | StaffAssigned | AssignmentEnded
CredentialFeedPage = FeedPage[CredentialEvent]
