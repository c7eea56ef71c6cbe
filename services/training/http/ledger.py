"""A person's training year (年度培训学时): hours by category, shortfall, every entry."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar.di import NamedDependency
from litestar import Controller, Request, get
from litestar.params import FromPath

from contracts.keys import Role
from contracts.training import PersonYear
from services.training.application.queries import LedgerQueries
from shared.auth.roles import Principal
from shared.http.auth import allow
from shared.http.params import OnDate, checked_day
from shared.http.problems import invalid_parameter
from shared.http.scope import nursery_scope


class LedgerController(Controller):
    """The training ledger by person: registrar and auditor see everyone, hr its own nursery's people."""

    path = "/v1/people/{staff_id:uuid}/training"
    tags = ["ledger"]

    @get("/{year:int}", guards=[allow(Role.REGISTRAR, Role.AUDITOR, Role.HR)], sync_to_thread=True)
    def person_year(
        self, ledger: NamedDependency[LedgerQueries],
        staff_id: FromPath[UUID],
        year: FromPath[int],
        request: Request[Principal, Any, Any],
        on: OnDate = None,
    ) -> PersonYear:
        """Hours earned, required and missing by category, and each entry's source and status; ``on``: as
        the ledger showed at the end of that day (Shanghai)."""
        if not 2000 <= year <= 2100:
            raise invalid_parameter("year", "year must be between 2000 and 2100", source="path")
        return ledger.person_year(staff_id, year, on=checked_day(on), visible_to=nursery_scope(request.user))
