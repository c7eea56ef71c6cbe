"""Checks due (health re-checks, background checks): what falls due in the next 30/60/90 days."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import Parameter

from contracts.credentials import DueCheck
from contracts.keys import Role
from services.credential.application.queries import Reports
from services.credential.http.dates import OnDate, on_or_today
from shared.auth.roles import Principal
from shared.http.auth import allow
from shared.http.scope import nursery_scope


class CheckController(Controller):
    """Health certificates (托幼机构工作人员健康合格证, 食品从业人员健康证明) and background checks (入职查询, 定期查询)."""

    path = "/v1/checks"
    tags = ["certificates"]

    @get("/due", guards=[allow(Role.REGISTRAR, Role.HR, Role.INSPECTOR, Role.AUDITOR)], sync_to_thread=True)
    def due(
        self, reports: NamedDependency[Reports], request: Request[Principal, Any, Any], on: OnDate = None,
        within: Annotated[int, Parameter(ge=1, le=366, description="Days ahead: 30, 60 or 90")] = 30,
    ) -> list[DueCheck]:
        """Checks that fall due within the window, soonest first (an hr key: its own nursery's people).

        From its due day a person whose check is not redone is non-compliant (人证合一)."""
        return reports.checks_due(on=on_or_today(on), within=within, visible_to=nursery_scope(request.user))
