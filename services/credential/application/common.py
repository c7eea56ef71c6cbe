"""Helpers the use cases share: the district's calendar day, staff visibility, ids from bodies."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from shared.district import today
from shared.errors import Invalid, NotFound

__all__ = ["SYSTEM_ACTOR", "staff_row", "today", "uuid_field"]
SYSTEM_ACTOR = {"key_id": None, "role": "system", "scope": None}


def uuid_field(value: str, field: str) -> UUID:
    """A UUID from a body field, or 422 naming the field."""
    try:
        return UUID(value)
    except ValueError:
        raise Invalid(f"{field} is not a UUID", field=field) from None


def staff_row(store: Any, staff_id: UUID | str, *, visible_to: UUID | None, field: str | None = None) -> Any:
    """The staff row of a person, 404 when unknown or not visible to an HR caller's nursery.

    With ``field`` (the id came from a request body) an unknown person is a 422 naming it.
    """
    statement = "SELECT s.staff_id, s.name, s.id_masked, s.registered_at FROM staff s WHERE s.staff_id = ?"
    params: list[str] = [str(staff_id)]
    if visible_to is not None:
        statement += " AND EXISTS (SELECT 1 FROM staff_nursery n WHERE n.staff_id = s.staff_id AND n.nursery_id = ?)"
        params.append(str(visible_to))
    row = store.query_one(statement, params)
    if row is None:
        if field is not None and visible_to is None:
            raise Invalid(f"no registered person with id {staff_id}", field=field, code="unknown_staff")
        raise NotFound(f"no staff member with id {staff_id}")
    return row
