"""Assessment results (职业技能鉴定) posted by providers; the subsidy list; payments by the registrar."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, Parameter

from contracts.keys import Role
from contracts.training import AssessmentView, NewAssessment, SubsidyLine, SubsidyList, SubsidyPaid, SubsidyUnpaid
from services.training.application.assessments import Assessments
from services.training.http.scope import require_own_provider
from shared.auth.roles import Principal
from shared.http.auth import allow
from shared.district import today
from shared.http.params import checked_day

READERS = (Role.PROVIDER, Role.REGISTRAR, Role.AUDITOR)
Start = Annotated[dt.date | None, Parameter(
    description="First day of the period, assessed on (YYYY-MM-DD, 1900-01-01 to 2200-12-31); default 1 January this year",
)]
End = Annotated[dt.date | None, Parameter(
    description="Last day of the period, inclusive (YYYY-MM-DD, 1900-01-01 to 2200-12-31); default today (Shanghai)",
)]


def period(start: dt.date | None, end: dt.date | None) -> tuple[dt.date, dt.date]:
    """The period asked for, each day checked against its range; this year to date by default."""
    last = checked_day(end, "end") or today()
    return checked_day(start, "start") or dt.date(last.year, 1, 1), last


class AssessmentController(Controller):
    """A provider's assessment results: idempotent by the provider's own event id."""

    path = "/v1/providers/{provider_id:uuid}/assessments"
    tags = ["assessments"]

    @post("/", guards=[allow(Role.PROVIDER)], sync_to_thread=True)
    def post_result(
        self, assessments: NamedDependency[Assessments],
        provider_id: FromPath[UUID], data: JSONBody[NewAssessment], request: Request[Principal, Any, Any],
    ) -> Response[AssessmentView]:
        """Record a result (201); the same again answers the same (200); a different reuse of the event id is 409."""
        require_own_provider(request.user, provider_id)
        view, new = assessments.post(provider_id, data, request.user.actor())
        return Response(view, status_code=201 if new else 200)

    @get("/", guards=[allow(*READERS)], sync_to_thread=True)
    def list_results(
        self, assessments: NamedDependency[Assessments],
        provider_id: FromPath[UUID], request: Request[Principal, Any, Any],
    ) -> list[AssessmentView]:
        """The provider's results in recorded order (a provider sees only its own)."""
        require_own_provider(request.user, provider_id)
        return assessments.assessments(provider_id)


class SubsidyListController(Controller):
    """The training-fee subsidy list of a provider for a period: each person once per certificate type and level."""

    path = "/v1/providers/{provider_id:uuid}/subsidies"
    tags = ["subsidies"]

    @get("/", guards=[allow(*READERS)], sync_to_thread=True)
    def as_json(
        self, assessments: NamedDependency[Assessments],
        provider_id: FromPath[UUID], request: Request[Principal, Any, Any], start: Start = None, end: End = None,
    ) -> SubsidyList:
        """Claims earned by passes assessed in the period, each with its status and the events it rests on."""
        require_own_provider(request.user, provider_id)
        return assessments.subsidy_list(provider_id, *period(start, end))

    @get("/csv", guards=[allow(*READERS)], sync_to_thread=True, media_type="text/csv")
    def as_csv(
        self, assessments: NamedDependency[Assessments],
        provider_id: FromPath[UUID], request: Request[Principal, Any, Any], start: Start = None, end: End = None,
    ) -> Response[str]:
        """The same list as CSV (UTF-8, header row, amounts in yuan, event positions separated by spaces)."""
        require_own_provider(request.user, provider_id)
        listing = assessments.subsidy_list(provider_id, *period(start, end))
        name = f"subsidies-{listing.start}-{listing.end}.csv"
        return Response(assessments.csv_of(listing), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})


class SubsidyClaimController(Controller):
    """One subsidy claim; its payment recorded by the registrar, as events."""

    path = "/v1/subsidy-claims/{claim_id:uuid}"
    tags = ["subsidies"]

    @get("/", guards=[allow(Role.REGISTRAR, Role.AUDITOR)], sync_to_thread=True)
    def get_claim(
        self, assessments: NamedDependency[Assessments],
        claim_id: FromPath[UUID], request: Request[Principal, Any, Any],
    ) -> SubsidyLine:
        """A claim, its status and the events it rests on."""
        return assessments.claim(claim_id)

    @post("/payment", guards=[allow(Role.REGISTRAR)], sync_to_thread=True)
    def pay(
        self, assessments: NamedDependency[Assessments],
        claim_id: FromPath[UUID], data: JSONBody[SubsidyPaid], request: Request[Principal, Any, Any],
    ) -> SubsidyLine:
        """Record the claim's payment (201); 409 if it is already paid."""
        return assessments.pay(claim_id, data, request.user.actor())

    @post("/unpaid", guards=[allow(Role.REGISTRAR)], sync_to_thread=True, status_code=200)
    def unpaid(
        self, assessments: NamedDependency[Assessments],
        claim_id: FromPath[UUID], data: JSONBody[SubsidyUnpaid], request: Request[Principal, Any, Any],
    ) -> SubsidyLine:
        """Record that a paid claim is unpaid again; 409 unless it is paid."""
        return assessments.mark_unpaid(claim_id, data, request.user.actor())
