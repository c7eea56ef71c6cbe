"""The staff registry: HR and the registrar register people; HR sees only its own nursery's."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar.params import FromPath, JSONBody, Parameter
from litestar.di import NamedDependency
from litestar import Controller, Request, get, post


from contracts.keys import Role
from contracts.registry import NewStaff, StaffLookup, StaffView
from services.credential.application.registry import Registry
from services.credential.application.common import uuid_field
from shared.auth.roles import Principal
from shared.http.auth import allow
from shared.http.params import query_text
from shared.http.scope import acting_nursery, nursery_scope

READERS = (Role.REGISTRAR, Role.HR, Role.AUDITOR)
AfterStaffId = query_text("Page after this staff id (a UUID; the last one of the previous page)", max_length=36,
                          pattern=r"^[0-9a-fA-F-]*$", optional=False)


class StaffController(Controller):
    """Staff (从业人员): the people the certificates and training hours belong to."""

    path = "/v1/staff"
    tags = ["staff"]

    @post("/", guards=[allow(Role.REGISTRAR, Role.HR)], sync_to_thread=True)
    def register(
        self, registry: NamedDependency[Registry],
        data: JSONBody[NewStaff], request: Request[Principal, Any, Any],
    ) -> StaffView:
        """Register a person (409 with the existing staff id if already registered)."""
        principal = request.user
        nursery_id = acting_nursery(principal, data.nursery_id)
        return registry.register_staff(
            name=data.name,
            id_number=data.id_number,
            registered_by=uuid_field(nursery_id, "nursery_id") if nursery_id else None,
            actor=principal.actor(),
        )

    @get("/", guards=[allow(*READERS)], sync_to_thread=True)
    def list_staff(
        self, registry: NamedDependency[Registry],
        request: Request[Principal, Any, Any],
        after: AfterStaffId = "",
        limit: Annotated[int, Parameter(ge=1, le=1000)] = 100,
    ) -> list[StaffView]:
        """Registered people, by staff id; an hr key sees only its own nursery's."""
        return registry.staff_list(visible_to=nursery_scope(request.user), after=after, limit=limit)

    @get("/{staff_id:uuid}", guards=[allow(*READERS)], sync_to_thread=True)
    def get_staff(
        self, registry: NamedDependency[Registry],
        staff_id: FromPath[UUID], request: Request[Principal, Any, Any],
    ) -> StaffView:
        """One person (404 for an hr key of another nursery)."""
        return registry.staff(staff_id, visible_to=nursery_scope(request.user))

    @post("/lookup", guards=[allow(*READERS)], sync_to_thread=True, status_code=200)
    def lookup(
        self, registry: NamedDependency[Registry],
        data: JSONBody[StaffLookup], request: Request[Principal, Any, Any],
    ) -> StaffView:
        """Find a person by ID number (in the body, so it never lands in a URL or log)."""
        return registry.find_staff(data.id_number, visible_to=nursery_scope(request.user))

