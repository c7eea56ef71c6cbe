"""Checking one posted completion: who, which course, when, how long — each failure names its field.

Pure functions over the request, the provider's catalogue rows and the people found; the
application gathers those in a few queries per batch and calls these per item.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Callable
from uuid import UUID

from contracts.training import NewCompletion
from services.training.domain.completion import Content
from services.training.domain.hours import InvalidHours, half_hours_of, hours_of
from services.training.domain.year import CLOCK_SKEW, InvalidTime, parse_completed_at
from shared.district import local_date
from shared.errors import Invalid


@dataclass(frozen=True)
class PersonRef:
    """How an item names its person: by staff id, or by the keyed hash of an ID number."""

    staff_id: str | None = None
    id_hash: str | None = None


def person_ref(item: NewCompletion, hash_of: Callable[[str], str], prefix: str = "") -> PersonRef:
    """Exactly one of ``staff_id`` / ``id_number``; a staff id must be a UUID."""
    if item.staff_id is None and item.id_number is None:
        raise Invalid("name the person by staff_id or id_number", field=prefix + "staff_id", code="person_missing")
    if item.staff_id is not None and item.id_number is not None:
        raise Invalid("give staff_id or id_number, not both", field=prefix + "id_number", code="person_ambiguous")
    if item.staff_id is not None:
        try:
            return PersonRef(staff_id=str(UUID(item.staff_id)))
        except ValueError:
            raise Invalid("staff_id is not a UUID", field=prefix + "staff_id", code="invalid_staff_id") from None
    try:
        return PersonRef(id_hash=hash_of(item.id_number or ""))
    except Invalid as exc:
        raise Invalid(exc.detail, field=prefix + "id_number", code=exc.code) from None


def content_of(
    item: NewCompletion, ref: PersonRef, known_staff: set[str], staff_by_hash: dict[str, str],
    replaces: str | None = None, prefix: str = "",
) -> Content:
    """The completion's content with its person resolved (422 for an unknown person or a bad value)."""
    if ref.staff_id is not None:
        if ref.staff_id not in known_staff:
            raise Invalid(f"no registered person with staff_id {ref.staff_id}", field=prefix + "staff_id", code="unknown_person")
        staff_id = ref.staff_id
    else:
        if ref.id_hash not in staff_by_hash:
            raise Invalid("no registered person with this id_number", field=prefix + "id_number", code="unknown_person")
        staff_id = staff_by_hash[ref.id_hash or ""]
    try:
        completed_at = parse_completed_at(item.completed_at)
    except InvalidTime as exc:
        raise Invalid(f"completed_at {exc}", field=prefix + "completed_at", code="invalid_completed_at") from None
    try:
        half_hours = half_hours_of(item.class_hours)
    except InvalidHours as exc:
        raise Invalid(f"class_hours {exc}", field=prefix + "class_hours", code="invalid_class_hours") from None
    return Content(staff_id=staff_id, course_code=item.course_code, completed_at=completed_at,
                   half_hours=half_hours, replaces=replaces)


def check_against_catalogue(
    content: Content, provider: Any, courses: dict[str, Any], now: dt.datetime, prefix: str = "",
) -> dict[str, Any]:
    """The catalogued course the completion is of; 422 if it may not earn hours as posted."""
    if provider["withdrawn_at"]:
        raise Invalid(f"provider {provider['code']} is withdrawn: it may post no new completions",
                      field="provider_id", code="provider_withdrawn")
    course = courses.get(content.course_code)
    if course is None:
        raise Invalid(f"no course {content.course_code!r} in the catalogue of {provider['code']}",
                      field=prefix + "course_code", code="unknown_course")
    if course["withdrawn_at"]:
        raise Invalid(f"course {content.course_code} is withdrawn", field=prefix + "course_code", code="course_withdrawn")
    if content.completed_at > now + CLOCK_SKEW:
        raise Invalid("completed_at is in the future", field=prefix + "completed_at", code="completed_in_future")
    if local_date(content.completed_at).isoformat() < course["available_from"]:
        raise Invalid(f"completed_at is before the course was available ({course['available_from']})",
                      field=prefix + "completed_at", code="before_course_available")
    if content.half_hours != course["half_hours"]:
        raise Invalid(
            f"class_hours {hours_of(content.half_hours):g} do not match the catalogue ({hours_of(course['half_hours']):g})",
            field=prefix + "class_hours", code="hours_mismatch",
        )
    return course


def content_of_row(row: Any) -> Content:
    """The content of a recorded completion, from its ledger row."""
    return Content(
        staff_id=row["staff_id"], course_code=row["course_code"],
        completed_at=dt.datetime.fromisoformat(row["completed_at"]), half_hours=row["half_hours"],
        replaces=row["replaces"], session_code=_get(row, "session_code"), mode=_get(row, "mode"),
        trainer_id=_get(row, "trainer_id"),
    )


def _get(row: Any, key: str) -> Any:
    """A column the row may lack (rows read without the delivery join)."""
    try:
        return row[key]
    except (KeyError, IndexError):
        return None
