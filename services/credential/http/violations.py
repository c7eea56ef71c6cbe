"""The integrity record: the registrar records ethics violations and the action taken."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from contracts.credentials import NewViolation, ViolationView
from contracts.keys import Role
from services.credential.application.integrity import Integrity
from shared.auth.roles import Principal
from shared.http.auth import allow


class ViolationController(Controller):
    """Ethics violations (诚信记录); read them in the person's profile."""

    path = "/v1/violations"
    tags = ["integrity"]

    @post("/", guards=[allow(Role.REGISTRAR)], sync_to_thread=True)
    def record(
        self, integrity: NamedDependency[Integrity],
        data: JSONBody[NewViolation], request: Request[Principal, Any, Any],
    ) -> ViolationView:
        """Record a violation; a suspension or revocation acts on the named certificates at once."""
        return integrity.record_violation(data, request.user.actor())
