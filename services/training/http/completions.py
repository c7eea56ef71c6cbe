"""Completions posted by providers: one, or a term-end upload of up to 50,000; reversals, corrections."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, Parameter

from contracts.keys import Role
from contracts.training import (
    BulkCompletions, BulkResult, CompletionResult, Correction, CorrectionResult, NewCompletion, Reversal,
    ReversalResult, SubmissionsPage,
)
from services.training.application.corrections import Corrections
from services.training.application.posting import Posting, bulk_result, completion_result, conflict_message
from services.training.application.queries import LedgerQueries
from services.training.http.scope import require_own_provider
from shared.auth.roles import Principal
from shared.errors import Conflict
from shared.http.auth import allow
from shared.http.params import OnDate, checked_day

BULK_MAX_BODY = 32 * 1024 * 1024
"""A term-end upload of 50,000 completions needs more than the ordinary body limit."""


class CompletionController(Controller):
    """A provider's completions (结业记录): idempotent by the provider's own event id."""

    path = "/v1/providers/{provider_id:uuid}/completions"
    tags = ["completions"]

    @post("/", guards=[allow(Role.PROVIDER)], sync_to_thread=True)
    def post_one(
        self, posting: NamedDependency[Posting],
        provider_id: FromPath[UUID], data: JSONBody[NewCompletion], request: Request[Principal, Any, Any],
    ) -> Response[CompletionResult]:
        """Record a completion (201); the same again answers the same (200); a different reuse of the event id is 409."""
        require_own_provider(request.user, provider_id)
        (outcome,) = posting.post_completions(provider_id, [data], request.user.actor(), versions=request.auth)
        if outcome.outcome == "rejected" and outcome.error is not None:
            raise outcome.error
        if outcome.outcome == "conflict":
            raise Conflict(conflict_message(outcome), code="completion_conflict",
                           completion_id=outcome.completion_id, differs=outcome.differences)
        row = outcome.row if outcome.row is not None else posting.completion_row(outcome.completion_id or "", caught_up=True)
        result = completion_result(row)
        return Response(result, status_code=201 if outcome.outcome == "created" else 200)

    @post("/bulk", guards=[allow(Role.PROVIDER)], sync_to_thread=True, status_code=200,
          request_max_body_size=BULK_MAX_BODY)
    def post_many(
        self, posting: NamedDependency[Posting],
        provider_id: FromPath[UUID], data: JSONBody[BulkCompletions], request: Request[Principal, Any, Any],
    ) -> BulkResult:
        """Record up to 50,000 completions; each item is answered: created, duplicate, conflict or rejected."""
        require_own_provider(request.user, provider_id)
        outcomes = posting.post_completions(provider_id, data.items, request.user.actor())
        rows = posting.counted_rows([o.completion_id for o in outcomes if o.completion_id and o.outcome != "conflict"])
        return bulk_result(outcomes, rows)

    @get("/", guards=[allow(Role.PROVIDER, Role.REGISTRAR, Role.AUDITOR)], sync_to_thread=True)
    def list_submissions(
        self, ledger: NamedDependency[LedgerQueries],
        provider_id: FromPath[UUID],
        request: Request[Principal, Any, Any],
        after: Annotated[int, Parameter(description="Page after this position", ge=0, le=2**63 - 1)] = 0,
        limit: Annotated[int, Parameter(ge=1, le=1000)] = 100,
        on: OnDate = None,
    ) -> SubmissionsPage:
        """The provider's submissions in recorded order (a provider sees only its own); ``on``: as the
        ledger showed at the end of that day (Shanghai)."""
        require_own_provider(request.user, provider_id)
        return ledger.submissions(provider_id, after=after, limit=limit, on=checked_day(on))

    @post("/{completion_id:uuid}/reversal", guards=[allow(Role.PROVIDER)], sync_to_thread=True)
    def reverse(
        self, corrections: NamedDependency[Corrections],
        provider_id: FromPath[UUID], completion_id: FromPath[UUID], data: JSONBody[Reversal],
        request: Request[Principal, Any, Any],
    ) -> Response[ReversalResult]:
        """Reverse a completion (it stops counting; nothing is deleted); a retry answers the same (200)."""
        require_own_provider(request.user, provider_id)
        result, new = corrections.reverse_completion(provider_id, completion_id, data.reason, request.user.actor())
        return Response(result, status_code=201 if new else 200)

    @post("/{completion_id:uuid}/correction", guards=[allow(Role.PROVIDER)], sync_to_thread=True)
    def correct(
        self, corrections: NamedDependency[Corrections],
        provider_id: FromPath[UUID], completion_id: FromPath[UUID], data: JSONBody[Correction],
        request: Request[Principal, Any, Any],
    ) -> Response[CorrectionResult]:
        """Reverse a completion and record its replacement (with a new event id) in one transaction."""
        require_own_provider(request.user, provider_id)
        reversal, replacement, new = corrections.correct_completion(
            provider_id, completion_id, data.reason, data.replacement, request.user.actor()
        )
        return Response(CorrectionResult(reversal=reversal, replacement=replacement), status_code=201 if new else 200)
