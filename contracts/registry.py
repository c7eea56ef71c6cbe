"""Nurseries and staff (the staff registry) as clients see them."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from contracts.command import Command
from contracts.dates import BusinessDate
from contracts.text import IdNumber, Name, Reason, Title, Uuid

Kind = Literal["nursery", "kindergarten", "community"]
"""托育机构, 幼儿园托班 (a kindergarten's nursery classes), 社区托育点."""
Places = Annotated[int, msgspec.Meta(ge=0, le=10_000, description="Childcare places (托位); 0: a kindergarten without 托班")]


class NewNursery(Command, kw_only=True):
    """A nursery to register: name, town or subdistrict, public or private, inclusive (普惠) or not."""

    name: Title
    town: Name
    """One of Jinshan's towns and subdistricts (e.g. 朱泾镇); any other is refused (422)."""
    ownership: Literal["public", "private"]
    inclusive: bool
    kind: Kind = "nursery"
    opened_on: BusinessDate | None = None
    """The date it opened (or opens); without it (and without ``capacity``), the district date of registering."""
    capacity: Places | None = None


class NurseryView(msgspec.Struct, kw_only=True):
    """A registered nursery, as recorded now (its last change, whatever date it takes effect)."""

    nursery_id: str
    name: str
    town: str
    ownership: str
    inclusive: bool
    kind: str
    registered_at: str
    status: str = "open"
    """open, suspended or closed"""
    status_since: str | None = None
    """The effective date of the last change."""
    opened_on: str | None = None
    capacity: int | None = None


class NurseryDetails(Command, kw_only=True):
    """New details of a nursery from a date; a field left out keeps its value."""

    effective_on: BusinessDate
    name: Title | None = None
    kind: Kind | None = None
    ownership: Literal["public", "private"] | None = None
    inclusive: bool | None = None
    capacity: Places | None = None
    reason: Reason


class NurseryStatusChange(Command, kw_only=True):
    """Suspend, reopen or close a nursery from a date, and why."""

    effective_on: BusinessDate
    reason: Reason


class NurseryState(msgspec.Struct, kw_only=True):
    """A nursery as it stood on a date: one change in its life (what took effect, when, when recorded)."""

    nursery_id: str
    version: int
    position: int
    change: str
    """registered, opened, details_changed, suspended, reopened or closed"""
    effective_on: str
    recorded_at: str
    name: str
    town: str
    kind: str
    ownership: str
    inclusive: bool
    capacity: int | None
    status: str


class StaffAtClosedNursery(msgspec.Struct, kw_only=True):
    """A person still assigned, on a date, at a nursery that is closed or suspended then: for HR and the registrar."""

    staff_id: str
    name: str
    assignment_id: str
    role: str
    start_on: str
    nursery_id: str
    nursery_name: str
    status: str
    status_since: str


class NewStaff(Command, kw_only=True):
    """A person to register: name and resident ID number (GB 11643-1999; never stored raw)."""

    name: Name
    id_number: IdNumber
    nursery_id: Uuid | None = None
    """The registering nursery; for HR keys it is the key's own nursery and may be omitted."""


class StaffView(msgspec.Struct, kw_only=True):
    """A registered person: the ID number only masked."""

    staff_id: str
    name: str
    id_masked: str
    registered_by: str | None
    registered_at: str


class StaffLookup(Command):
    """Find a registered person by ID number (sent in the body, never in a URL)."""

    id_number: IdNumber
