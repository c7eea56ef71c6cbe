"""The credential service's application: load, call, save; then the read models follow."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

from eventsourcing.persistence import IntegrityError

from contracts.registry import NewNursery, NurseryView, StaffView
from contracts.keys import Role
from services.credential import feed
from services.credential.domain.nursery import JINSHAN_AREAS, Nursery
from services.credential.domain.staff import Staff, staff_id_for
from services.credential.badges.projection import BadgeProjection, BadgeProjector
from services.credential.certification_projection import CertificationProjection
from services.credential.portable.projection import PortableProjection
from services.credential.projections import RegistryProjection
from services.credential.transfer_projection import TransferProjection
from services.credential.training_status import training_follower
from services.credential.usecases.assignments import AssignmentUseCases
from services.credential.usecases.badges import BadgeUseCases
from services.credential.badges.service import badges_for
from services.credential.usecases.certificates import CertificateUseCases
from services.credential.usecases.integrity import IntegrityUseCases
from services.credential.usecases.policy import PolicyUseCases
from services.credential.usecases.queries import QueryUseCases
from services.credential.usecases.transfers import TransferUseCases
from shared import idnumber
from shared.application import ServiceApplication
from shared.errors import Conflict, Invalid, NotFound
from shared.follower import Follower
from shared.projection import Projection, Projector

_NURSERY_COLUMNS = "nursery_id, name, town, ownership, inclusive, kind, registered_at"
_STAFF_COLUMNS = "s.staff_id, s.name, s.id_masked, s.registered_by, s.registered_at"


def registry_reads(visible_to: UUID | None) -> tuple[str, ...]:
    """The read models a staff query reads: an HR caller's also says who is assigned where (certification)."""
    return ("registry",) if visible_to is None else ("registry", "certification")


class Credentials(
    PolicyUseCases, CertificateUseCases, AssignmentUseCases, TransferUseCases, IntegrityUseCases, QueryUseCases,
    BadgeUseCases, ServiceApplication,
):
    """Nurseries, the staff registry, certificates, role policy, assignments and compliance."""

    service = "credential"

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.id_hash_key = self.settings.resolved_id_hash_key()
        badges_for(self)  # its tables made (or rebuilt: BadgeProjection.schema) at start, like the others

    def projections(self) -> list[Projection]:
        return [RegistryProjection(), CertificationProjection(), TransferProjection(), PortableProjection()]

    def create_tables(self) -> None:
        super().create_tables()
        BadgeProjector(self, self.store, [BadgeProjection()]).create_tables()  # badges keep their own projector

    def public_event(self, event: Any, position: int) -> Any:
        return feed.public_event(self, event)

    def make_followers(self) -> list[Follower]:
        return [training_follower(self.store, self.settings)]

    def projectors(self) -> list[Projector]:
        return [self.projector, badges_for(self).projector]

    def scope_is_known(self, role: Role, scope: str) -> bool | None:
        """An hr key's nursery must be registered here; provider keys name the training service's providers."""
        if role is not Role.HR:
            return None
        self.projector.catch_up()
        return self.store.query_one("SELECT 1 FROM nurseries WHERE nursery_id = ?", (str(UUID(scope)),)) is not None

    def training_as_of(self) -> str | None:
        """When the training part of the combined view was last brought up to date."""
        moment = self.followers[0].up_to_date_as_of()
        return moment.isoformat() if moment else None

    # Nurseries ------------------------------------------------------------------------------

    def register_nursery(self, data: NewNursery, actor: dict[str, Any]) -> NurseryView:
        if data.town not in JINSHAN_AREAS:
            raise Invalid(f"unknown town or subdistrict {data.town!r}; one of: {', '.join(JINSHAN_AREAS)}", field="town")
        nursery = Nursery(
            name=data.name.strip(), town=data.town, ownership=data.ownership,
            inclusive=data.inclusive, kind=data.kind, actor=actor,
        )
        self.save_and_project(nursery)
        return self.nursery(nursery.id)

    def nursery(self, nursery_id: UUID) -> NurseryView:
        self.projector.catch_up("registry")
        row = self.store.query_one(f"SELECT {_NURSERY_COLUMNS} FROM nurseries WHERE nursery_id = ?", (str(nursery_id),))
        if row is None:
            raise NotFound(f"no nursery with id {nursery_id}")
        return NurseryView(**{**dict(row), "inclusive": bool(row["inclusive"])})

    def nurseries(self) -> list[NurseryView]:
        self.projector.catch_up("registry")
        rows = self.store.query(f"SELECT {_NURSERY_COLUMNS} FROM nurseries ORDER BY town, name")
        return [NurseryView(**{**dict(r), "inclusive": bool(r["inclusive"])}) for r in rows]

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
            self.save_and_project(staff)
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
        self.projector.catch_up(*registry_reads(visible_to))
        statement = f"SELECT {_STAFF_COLUMNS} FROM staff s WHERE s.staff_id = ?"
        params: list[str] = [str(staff_id)]
        if visible_to is not None:
            statement += " AND EXISTS (SELECT 1 FROM staff_nursery n WHERE n.staff_id = s.staff_id AND n.nursery_id = ?)"
            params.append(str(visible_to))
        row = self.store.query_one(statement, params)
        if row is None:
            raise NotFound(f"no staff member with id {staff_id}")
        return StaffView(**dict(row))

    def staff_list(self, *, visible_to: UUID | None = None, after: str = "", limit: int = 100) -> list[StaffView]:
        self.projector.catch_up(*registry_reads(visible_to))
        statement = f"SELECT {_STAFF_COLUMNS} FROM staff s WHERE s.staff_id > ?"
        params: list[Any] = [after]
        if visible_to is not None:
            statement += " AND EXISTS (SELECT 1 FROM staff_nursery n WHERE n.staff_id = s.staff_id AND n.nursery_id = ?)"
            params.append(str(visible_to))
        rows = self.store.query(statement + " ORDER BY s.staff_id LIMIT ?", [*params, limit])
        return [StaffView(**dict(r)) for r in rows]

    def find_staff(self, id_number: str, *, visible_to: UUID | None = None) -> StaffView:
        number = idnumber.canonical(id_number)
        return self.staff(staff_id_for(idnumber.keyed_hash(number, self.id_hash_key)), visible_to=visible_to)
