"""Training rules (培训规则): versions of the hours per category per role, adopted by the registrar."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from contracts.keys import Role
from contracts.training import NewTrainingRules, TrainingRulesView
from services.training.application.rules import RulesBook
from shared.auth.roles import Principal
from shared.http.auth import allow
from shared.http.problems import invalid_parameter

READERS = (Role.REGISTRAR, Role.HR, Role.PROVIDER, Role.AUDITOR)


class TrainingRulesController(Controller):
    """Versioned training rules: the hours each role owes a year, and how a part year is pro-rated."""

    path = "/v1/training-rules"
    tags = ["training rules"]

    @post("/", guards=[allow(Role.REGISTRAR)], sync_to_thread=True)
    def adopt(
        self, rules: NamedDependency[RulesBook],
        data: JSONBody[NewTrainingRules], request: Request[Principal, Any, Any],
    ) -> TrainingRulesView:
        """Adopt the next rules version (registrar); 409 unless it follows the latest; it applies from a year on."""
        return rules.adopt(data, request.user.actor())

    @get("/", guards=[allow(*READERS)], sync_to_thread=True)
    def list_versions(
        self, rules: NamedDependency[RulesBook], request: Request[Principal, Any, Any],
    ) -> list[TrainingRulesView]:
        """Every version, 1 (the 72/40 constants) first."""
        return rules.versions()

    @get("/{version:int}", guards=[allow(*READERS)], sync_to_thread=True)
    def get_version(
        self, rules: NamedDependency[RulesBook], version: FromPath[int], request: Request[Principal, Any, Any],
    ) -> TrainingRulesView:
        """One version."""
        if not 1 <= version <= 10_000:
            raise invalid_parameter("version", "version must be between 1 and 10000", source="path")
        return rules.version(version)
