"""The registry (花名册): nurseries and the people registered to work in them."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from contracts.registry import NewNursery, NurseryView, StaffView
from services.credential.domain.nursery import JINSHAN_AREAS, Nursery
from services.credential.domain.staff import Staff, staff_id_for
from shared import idnumber
from shared.district import local_date
from shared.application import ServiceApplication
from shared.errors import Conflict, Invalid, NotFound

_NURSERY_COLUMNS = (
    "n.nursery_id, n.name, n.town, n.ownership, n.inclusive, n.kind, n.registered_at, s.status,"
    " s.effective_on AS status_since, s.capacity, (SELECT o.effective_on FROM nursery_states o"
    " WHERE o.nursery_id = n.nursery_id AND o.change IN ('registered', 'opened') ORDER BY o.version DESC LIMIT 1) AS opened_on"
)
_NURSERY_FROM = (
    "nurseries n LEFT JOIN nursery_states s ON s.nursery_id = n.nursery_id"
    " AND s.version = (SELECT MAX(version) FROM nursery_states l WHERE l.nursery_id = n.nursery_id)"
)
_STAFF_COLUMNS = "s.staff_id, s.name, s.id_masked, s.registered_by, s.registered_at"


def registry_reads(visible_to: UUID | None) -> tuple[str, ...]:
    """The read models a staff query reads: an HR caller's also says who is assigned where (certification)."""
    return ("registry",) if visible_to is None else ("registry", "certification")


def nursery_view(row: Any) -> NurseryView:
    values = {k: v for k, v in dict(row).items() if v is not None or k in ("capacity", "opened_on", "status_since")}
    return NurseryView(**{**values, "inclusive": bool(row["inclusive"])})


class Registry:
    """Registering nurseries and staff, and reading them back (an HR caller sees only its own people)."""

    def __init__(self, records: ServiceApplication, id_hash_key: bytes):
        self.records = records
        self.id_hash_key = id_hash_key

    # Nurseries ------------------------------------------------------------------------------

    def register_nursery(self, data: NewNursery, actor: dict[str, Any]) -> NurseryView:
        if data.town not in JINSHAN_AREAS:
            raise Invalid(f"unknown town or subdistrict {data.town!r}; one of: {', '.join(JINSHAN_AREAS)}", field="town")
        nursery = Nursery(
            name=data.name.strip(), town=data.town, ownership=data.ownership,
            inclusive=data.inclusive, kind=data.kind, actor=actor,
        )
        if data.opened_on is not None or data.capacity is not None:
            nursery.open_on(data.opened_on or local_date(nursery.created_on), data.capacity, actor)
        self.records.save_and_project(nursery)
        return self.nursery(nursery.id)

    def nursery(self, nursery_id: UUID) -> NurseryView:
        self.records.projector.catch_up("registry", "nursery_lifecycle")
        row = self.records.store.query_one(
            f"SELECT {_NURSERY_COLUMNS} FROM {_NURSERY_FROM} WHERE n.nursery_id = ?", (str(nursery_id),))
        if row is None:
            raise NotFound(f"no nursery with id {nursery_id}")
        return nursery_view(row)

    def nurseries(self) -> list[NurseryView]:
        self.records.projector.catch_up("registry", "nursery_lifecycle")
        rows = self.records.store.query(f"SELECT {_NURSERY_COLUMNS} FROM {_NURSERY_FROM} ORDER BY n.town, n.name")
        return [nursery_view(r) for r in rows]

    # Staff registry -------------------------------------------------------------------------

    def register_staff(self, *, name: str, id_number: str, registered_by: UUID | None, actor: dict[str, Any]) -> StaffView:
        """Register a person; 409 ``already_registered`` with only the existing staff id if the ID number is known."""
        number = idnumber.canonical(id_number)
        if registered_by is not None:
            self.nursery(registered_by)  # 404 if it does not exist
        id_hash = idnumber.keyed_hash(number, self.id_hash_key)
        staff = Staff(
            name=name.strip(), id_hash=id_hash, id_masked=idnumber.mask(number),
            registered_by=str(registered_by) if registered_by else None, actor=actor,
        )
        try:
            self.records.save_and_project(staff)
        except IntegrityError:
            # Only the staff id, whoever asks: enough to assign the person or ask their nursery for a
            # transfer, nothing about them (an HR key may not be able to see them at all).
            raise Conflict(
                "a person with this ID number is already registered; assign them with this staff_id"
                " (a person who works at another nursery needs its consent: POST /v1/transfers)",
                code="already_registered", staff_id=str(staff.id),
            ) from None
        return self.staff(staff.id)

    def staff(self, staff_id: UUID, *, visible_to: UUID | None = None) -> StaffView:
        """One person; for an HR caller (``visible_to``) only if linked to that nursery."""
        self.records.projector.catch_up(*registry_reads(visible_to))
        statement = f"SELECT {_STAFF_COLUMNS} FROM staff s WHERE s.staff_id = ?"
        params: list[str] = [str(staff_id)]
        if visible_to is not None:
            statement += " AND EXISTS (SELECT 1 FROM staff_nursery n WHERE n.staff_id = s.staff_id AND n.nursery_id = ?)"
            params.append(str(visible_to))
        row = self.records.store.query_one(statement, params)
        if row is None:
            raise NotFound(f"no staff member with id {staff_id}")
        return StaffView(**dict(row))

    def staff_list(self, *, visible_to: UUID | None = None, after: str = "", limit: int = 100) -> list[StaffView]:
        self.records.projector.catch_up(*registry_reads(visible_to))
        statement = f"SELECT {_STAFF_COLUMNS} FROM staff s WHERE s.staff_id > ?"
        params: list[Any] = [after]
        if visible_to is not None:
            statement += " AND EXISTS (SELECT 1 FROM staff_nursery n WHERE n.staff_id = s.staff_id AND n.nursery_id = ?)"
            params.append(str(visible_to))
        rows = self.records.store.query(statement + " ORDER BY s.staff_id LIMIT ?", [*params, limit])
        return [StaffView(**dict(r)) for r in rows]

    def find_staff(self, id_number: str, *, visible_to: UUID | None = None) -> StaffView:
        number = idnumber.canonical(id_number)
        return self.staff(staff_id_for(idnumber.keyed_hash(number, self.id_hash_key)), visible_to=visible_to)
