"""Nurseries and staff (the staff registry) as clients see them."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from contracts.text import Name, Title



class NewNursery(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A nursery to register: name, town or subdistrict, public or private, inclusive (普惠) or not."""

    name: Title
    town: Name
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


class NewStaff(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A person to register: name and resident ID number (GB 11643-1999; never stored raw)."""

    name: Name
    id_number: Annotated[str, msgspec.Meta(min_length=1, max_length=30)]
    nursery_id: str | None = None
    """The registering nursery; for HR keys it is the key's own nursery and may be omitted."""


class StaffView(msgspec.Struct, kw_only=True):
    """A registered person: the ID number only masked."""

    staff_id: str
    name: str
    id_masked: str
    registered_by: str | None
    registered_at: str


class StaffLookup(msgspec.Struct, forbid_unknown_fields=True):
    """Find a registered person by ID number (sent in the body, never in a URL)."""

    id_number: Annotated[str, msgspec.Meta(min_length=1, max_length=30)]
