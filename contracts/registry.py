"""Nurseries and staff (the staff registry) as clients see them."""

from __future__ import annotations

from typing import Literal

import msgspec

from contracts.command import Command
from contracts.text import IdNumber, Name, Title, Uuid


class NewNursery(Command, kw_only=True):
    """A nursery to register: name, town or subdistrict, public or private, inclusive (普惠) or not."""

    name: Title
    town: Name
    """One of Jinshan's towns and subdistricts (e.g. 朱泾镇); any other is refused (422)."""
    ownership: Literal["public", "private"]
    inclusive: bool
    kind: Literal["nursery", "kindergarten"] = "nursery"


class NurseryView(msgspec.Struct, kw_only=True):
    """A registered nursery."""

    nursery_id: str
    name: str
    town: str
    ownership: str
    inclusive: bool
    kind: str
    registered_at: str


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
