"""The Learning Record Store under /xapi/: the Statements and About resources (xAPI 2.0 and 1.0.3).

LRS clients authenticate with HTTP Basic: the password is the provider's API key (a provider
key of this service; the user name is not checked: put the provider's code there). A Bearer
header works as everywhere else. A provider reads and writes only its own statements.
"""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import urlencode
from uuid import UUID

from litestar import Controller, Request, Response, get, post, put
from litestar.di import NamedDependency
from litestar.params import Parameter, RawBody

from contracts.keys import Role
from contracts.xapi import AboutView, NotCountedPage, StatementInvalid, StatementResult, check_agent, check_timestamp, check_uuid
from services.training.application.xapi_queries import StatementQuery, XapiQueries
from services.training.application.xapi_statements import XapiStatements
from services.training.http.xapi_wire import (
    CONSISTENT_THROUGH, VERSION_HEADER, answer_version, bad_request, canonical_format, ids_format, multipart_answer,
    parse_body, preferred_languages, version_of,
)
from shared.auth.roles import Principal
from shared.http.auth import BASIC_AUTH, PUBLIC, allow
from shared.http.params import query_text
MAX_STATEMENTS_BODY = 16 * 1024 * 1024
_QUERY = {"statementId", "voidedStatementId", "agent", "verb", "activity", "registration", "related_activities",
          "related_agents", "since", "until", "limit", "format", "attachments", "ascending", "page"}
_SINGLE = {"statementId", "voidedStatementId", "format", "attachments"}
Text = query_text("See the xAPI Statements resource (checked as the spec says: 400 naming the parameter)",
                  max_length=4096)


def _bool(value: str | None, name: str) -> bool:
    if value is None:
        return False
    if value not in ("true", "false"):
        raise bad_request(f"{name} must be true or false", name)
    return value == "true"


def _provider(request: Request[Principal, Any, Any]) -> UUID:
    return UUID(str(request.user.scope))


def _checked(check: Any, value: Any, name: str) -> Any:
    try:
        return check(value, name)
    except StatementInvalid as exc:
        raise bad_request(str(exc), name) from None


def _query(params: Any) -> StatementQuery:
    query = StatementQuery()
    if (agent := params.get("agent")) is not None:
        try:
            query.agent = json.loads(agent)
        except ValueError:
            raise bad_request("agent must be an Agent or identified Group as JSON", "agent") from None
        _checked(lambda v, n: check_agent(v, n, identified=True), query.agent, "agent")
    for name in ("verb", "activity"):
        setattr(query, name, params.get(name))
    if (registration := params.get("registration")) is not None:
        query.registration = _checked(check_uuid, registration, "registration")
    for name in ("since", "until"):
        if (value := params.get(name)) is not None:
            _checked(check_timestamp, value, name)
            setattr(query, name, value)
    query.related_activities = _bool(params.get("related_activities"), "related_activities")
    query.related_agents = _bool(params.get("related_agents"), "related_agents")
    query.ascending = _bool(params.get("ascending"), "ascending")
    for name in ("limit", "page"):
        if (value := params.get(name)) is not None:
            if not value.isdigit() or len(value) > 18:
                raise bad_request(f"{name} must be a non-negative integer", name)
            setattr(query, "after" if name == "page" else name, int(value))
    return query


class XapiAboutController(Controller):
    """The LRS's About resource: which xAPI versions it speaks (no key needed)."""

    path = "/xapi/about"
    tags = ["xapi"]
    opt = {PUBLIC: True}

    @get("/", sync_to_thread=False)
    def about(self) -> Response[AboutView]:
        """The xAPI versions this LRS accepts."""
        return Response(AboutView(version=["1.0.3", "2.0.0"]), headers={VERSION_HEADER: "2.0.0"})


class XapiStatementsController(Controller):
    """The Statements resource of the LRS: a provider's platform stores and reads its statements."""

    path = "/xapi/statements"
    tags = ["xapi"]
    opt = {BASIC_AUTH: True}

    @put("/", guards=[allow(Role.PROVIDER)], sync_to_thread=True, status_code=204,
         request_max_body_size=MAX_STATEMENTS_BODY)
    def put_statement(
        self, xapi_statements: NamedDependency[XapiStatements], request: Request[Principal, Any, Any],
        body: RawBody, statementId: Text = None,
    ) -> Response[None]:
        """Store one statement under ``statementId`` (204; the same again is 204, other content 409)."""
        version = version_of(request.headers)
        if statementId is None:
            raise bad_request("PUT needs the statementId parameter", "statementId")
        unknown = set(request.query_params) - {"statementId"}
        if unknown:
            raise bad_request(f"unknown parameter {sorted(unknown)[0]}", sorted(unknown)[0])
        statement_id = _checked(check_uuid, statementId, "statementId")
        statement, attachments = parse_body(request.headers.get("content-type", ""), body)
        if not isinstance(statement, dict):
            raise bad_request("PUT takes one statement (a JSON object)")
        try:
            xapi_statements.store(_provider(request), [statement], attachments, request.user.actor(),
                                  version=version, statement_id=statement_id)
        except StatementInvalid as exc:
            raise bad_request(str(exc), exc.field) from None
        return Response(None, status_code=204, headers={VERSION_HEADER: answer_version(version)})

    @post("/", guards=[allow(Role.PROVIDER)], sync_to_thread=True, status_code=200,
          request_max_body_size=MAX_STATEMENTS_BODY)
    def post_statements(
        self, xapi_statements: NamedDependency[XapiStatements], request: Request[Principal, Any, Any], body: RawBody,
    ) -> Response[list[str]]:
        """Store one statement or an array of them (all or none); answers their ids in order."""
        version = version_of(request.headers)
        if request.query_params:
            raise bad_request(f"unknown parameter {sorted(request.query_params)[0]}")
        statements, attachments = parse_body(request.headers.get("content-type", ""), body)
        batch = statements if isinstance(statements, list) else [statements]
        if not batch:
            raise bad_request("send at least one statement")
        try:
            ids = xapi_statements.store(_provider(request), batch, attachments, request.user.actor(), version=version)
        except StatementInvalid as exc:
            raise bad_request(str(exc), exc.field) from None
        return Response(ids, headers={VERSION_HEADER: answer_version(version)})

    @get("/", guards=[allow(Role.PROVIDER)], sync_to_thread=True)
    def get_statements(
        self, xapi_queries: NamedDependency[XapiQueries], request: Request[Principal, Any, Any],
        statementId: Text = None, voidedStatementId: Text = None, agent: Text = None, verb: Text = None,
        activity: Text = None, registration: Text = None, related_activities: Text = None,
        related_agents: Text = None, since: Text = None, until: Text = None, limit: Text = None,
        format: Text = None, attachments: Text = None, ascending: Text = None, page: Text = None,
    ) -> Response[StatementResult]:
        """One statement by ``statementId`` or ``voidedStatementId``, or a page of them by the filters with ``more``."""
        version = version_of(request.headers)
        params = {k: v for k, v in request.query_params.items()}
        if unknown := set(params) - _QUERY:
            raise bad_request(f"unknown parameter {sorted(unknown)[0]}", sorted(unknown)[0])
        shape = params.get("format", "exact")
        if shape not in ("exact", "ids", "canonical"):
            raise bad_request("format must be exact, ids or canonical", "format")
        with_attachments = _bool(params.get("attachments"), "attachments")
        wanted = preferred_languages(request.headers.get("accept-language"))

        def shaped(statement: dict[str, Any]) -> dict[str, Any]:
            if shape == "ids":
                return ids_format(statement)
            return canonical_format(statement, wanted) if shape == "canonical" else statement

        provider_id = _provider(request)
        headers = {VERSION_HEADER: answer_version(version), CONSISTENT_THROUGH: xapi_queries.consistent_through()}
        single = params.get("statementId") or params.get("voidedStatementId")
        if "statementId" in params or "voidedStatementId" in params:
            if set(params) - _SINGLE or ("statementId" in params and "voidedStatementId" in params):
                raise bad_request("statementId and voidedStatementId take no other filters")
            name = "statementId" if "statementId" in params else "voidedStatementId"
            statement_id = _checked(check_uuid, single, name)
            found = xapi_queries.statement(provider_id, statement_id, voided=name == "voidedStatementId")
            statements: list[dict[str, Any]] = [found]
            result: Any = shaped(found)
            headers["Last-Modified"] = found.get("stored", "")
        else:
            query = _query(params)
            page_ = xapi_queries.statements(provider_id, query)
            statements = page_.statements
            more = ""
            if page_.last_position is not None:
                kept = {k: v for k, v in params.items() if k != "page"}
                more = "/xapi/statements?" + urlencode({**kept, "page": str(page_.last_position)})
            shown = [shaped(s) for s in statements]
            result = {"statements": shown, "more": more}
        if with_attachments:
            found_attachments = xapi_queries.attachments(provider_id, statements)
            types = {a["sha2"]: a["contentType"] for s in statements for a in s.get("attachments") or []}
            content, media = multipart_answer(result, found_attachments, types)
            return Response(content, media_type=media, headers=headers)  # type: ignore[arg-type]
        return Response(result, headers=headers)


class XapiNotCountedController(Controller):
    """A provider's statements that were stored but did not become completions, with the reason."""

    path = "/v1/xapi/not-counted"
    tags = ["xapi"]

    @get("/", guards=[allow(Role.PROVIDER)], sync_to_thread=True)
    def not_counted(
        self, xapi_queries: NamedDependency[XapiQueries], request: Request[Principal, Any, Any],
        after: Annotated[int, Parameter(description="Page after this position", ge=0, le=2**63 - 1)] = 0,
        limit: Annotated[int, Parameter(ge=1, le=1000)] = 100,
    ) -> NotCountedPage:
        """Statements not counted (verb, object, actor not a completion, or refused by the ledger's rules), in stored order."""
        return xapi_queries.not_counted(_provider(request), after, limit)
