"""Assignments: HR (own nursery) and the registrar assign people to roles; 人证合一 is checked."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from contracts.credentials import AssignmentEnd, AssignmentView, NewAssignment
from contracts.keys import Role
from services.credential.application.assignments import Assignments
from services.credential.http.dates import OnDate, on_or_today
from shared.auth.roles import Principal
from shared.errors import Invalid
from shared.http.auth import allow
from shared.http.scope import acting_nursery, nursery_scope

READERS = (Role.REGISTRAR, Role.HR, Role.INSPECTOR, Role.AUDITOR)


class AssignmentController(Controller):
    """Assignments (岗位安排) of people to roles at nurseries."""

    path = "/v1/assignments"
    tags = ["assignments"]

    @post("/", guards=[allow(Role.REGISTRAR, Role.HR)], sync_to_thread=True)
    def assign(
        self, assignments: NamedDependency[Assignments],
        data: JSONBody[NewAssignment], request: Request[Principal, Any, Any],
    ) -> AssignmentView:
        """Assign a person (409 ``not_certified`` listing each missing, expired, suspended or revoked certificate)."""
        principal = request.user
        nursery_id = acting_nursery(principal, data.nursery_id)
        if not nursery_id:
            raise Invalid("nursery_id is required", field="nursery_id")
        return assignments.assign(data, nursery_id=nursery_id, actor=principal.actor())

    @get("/{assignment_id:uuid}", guards=[allow(*READERS)], sync_to_thread=True)
    def get_assignment(
        self, assignments: NamedDependency[Assignments],
        assignment_id: FromPath[UUID], request: Request[Principal, Any, Any], on: OnDate = None
    ) -> AssignmentView:
        """One assignment with its compliance as on the date."""
        return assignments.assignment(assignment_id, on=on_or_today(on), visible_to=nursery_scope(request.user))

    @post("/{assignment_id:uuid}/end", guards=[allow(Role.REGISTRAR, Role.HR)], sync_to_thread=True, status_code=200)
    def end(
        self, assignments: NamedDependency[Assignments],
        assignment_id: FromPath[UUID], data: JSONBody[AssignmentEnd], request: Request[Principal, Any, Any],
    ) -> AssignmentView:
        """End an assignment after its last working day (409 ``already_ended``)."""
        return assignments.end_assignment(assignment_id, data, visible_to=nursery_scope(request.user), actor=request.user.actor())
