"""The role policy: everyone with a key reads it; the registrar adopts new versions."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter

from contracts.keys import Role
from contracts.policy import PolicyAdoption, PolicyView
from services.credential.application.policy import Policies
from services.credential.http.dates import OnDate, on_or_today
from shared.auth.roles import Principal
from shared.http.auth import allow

READERS = (Role.ADMIN, Role.REGISTRAR, Role.HR, Role.INSPECTOR, Role.AUDITOR)


class PolicyController(Controller):
    """Role policy (岗位持证要求): certificate types and what each role requires, by version."""

    path = "/v1/policy"
    tags = ["policy"]

    @get("/", guards=[allow(*READERS)], sync_to_thread=True)
    def current(self, policies: NamedDependency[Policies], request: Request[Principal, Any, Any],
                on: OnDate = None) -> PolicyView:
        """The latest adopted version; with ``on``, the version in force on that day."""
        return policies.policy_view(on=None if on is None else on_or_today(on))

    @get("/versions/{version:int}", guards=[allow(*READERS)], sync_to_thread=True)
    def version(
        self, policies: NamedDependency[Policies],
        version: Annotated[int, PathParameter(ge=1, le=2**31 - 1, description="A policy version")],
        request: Request[Principal, Any, Any],
    ) -> PolicyView:
        """An earlier (or the current) version."""
        return policies.policy_view(version)

    @post("/", guards=[allow(Role.REGISTRAR)], sync_to_thread=True)
    def adopt(
        self, policies: NamedDependency[Policies],
        data: JSONBody[PolicyAdoption], request: Request[Principal, Any, Any],
    ) -> PolicyView:
        """Adopt a new version (422 naming the field when it does not hold together)."""
        return policies.adopt_policy(data.content, data.note, request.user.actor(), effective_on=data.effective_on)
