"""What each operation answers besides success, derived from what the route has; the extras in one table.

A route's handler says most of it: a role guard (401, 403, 429 for repeated failed keys), a body
(400, 413, 422), parameters (422), a path id (404), a write (409 for a clash, 202 when the change
is stored but the answer cannot be built — see ``shared.http.recorded``), storage behind it (503).
``EXTRAS`` adds what only the domain knows, keyed by method and route template. Nothing here is
written into the route handlers: the document is completed after Litestar has built it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from inspect import cleandoc

from litestar.handlers import HTTPRouteHandler
from litestar.routes import HTTPRoute

from shared.http.auth import PUBLIC

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
NEVER_UNAVAILABLE = frozenset({("GET", "/health")})
"""Routes that read no storage and no read model: every other one answers 503 while they are unavailable."""
QUERIES_BY_POST = frozenset({("POST", "/v1/staff/lookup"), ("POST", "/v1/verify")})
"""POST routes that record nothing: the ID number or badge is sent in the body to stay out of URLs and logs."""

_RETRY = "A retry with the same event id and content: the completion as stored the first time; nothing new is stored."
EXTRAS: dict[tuple[str, str], dict[int, str]] = {
    ("GET", "/ready"): {503: "Not ready: the storage does not answer, or a follower is stalled (`not_ready`)."},
    ("GET", "/v1/audit/proofs/inclusion"): {404: "No event at `position` (yet)."},
    ("POST", "/v1/certificates"): {404: "No person `holder_id` that this key can see."},
    ("POST", "/v1/badges"): {404: "No person `staff_id` that this key can see."},
    ("POST", "/v1/staff/lookup"): {404: "No person with this ID number that this key can see."},
    ("POST", "/v1/providers/{provider_id}/completions"): {200: _RETRY},
    ("POST", "/v1/providers/{provider_id}/completions/{completion_id}/reversal"): {200: _RETRY.replace("completion", "reversal")},
    ("POST", "/v1/providers/{provider_id}/completions/{completion_id}/correction"): {
        200: _RETRY.replace("completion", "correction")},
    ("POST", "/v1/providers/{provider_id}/assessments"): {200: _RETRY.replace("completion", "assessment result")},
    ("POST", "/v1/providers/{provider_id}/sessions/{code}/attendance"): {
        200: "The same scan sent again: the attendance as recorded; nothing new is stored."},
}
_XAPI_400 = ("The xAPI spec's Bad Request (`xapi_bad_request`): no or an unknown `X-Experience-API-Version`, an"
             " unknown parameter, a statement that breaks the spec (the field is named), an attachment part missing"
             " or not matching its hash.")
EXTRAS.update({
    ("PUT", "/xapi/statements"): {400: _XAPI_400, 409: "`statement_conflict`: the id is stored with other content."},
    ("POST", "/xapi/statements"): {400: _XAPI_400, 409: "`statement_conflict`: an id is stored with other content."},
    ("GET", "/xapi/statements"): {400: _XAPI_400, 404: "No statement `statementId` (or voided `voidedStatementId`)"
                                                      " of this provider."},
})
"""(METHOD, route template) → statuses the route answers that its shape does not tell, and why.

A success status here is answered with the same body as the route's usual success."""

_CLASHES: dict[tuple[str, str], str] = {
    ("POST", "/v1/staff"): "`already_registered` (with the existing `staff_id` only)",
    ("POST", "/v1/certificates"): "`duplicate_certificate` (with the existing id)",
    ("POST", "/v1/certificates/{certificate_id}/renew"): "`certificate_revoked`",
    ("POST", "/v1/certificates/{certificate_id}/suspend"): "`already_suspended`, `certificate_revoked`",
    ("POST", "/v1/certificates/{certificate_id}/reinstate"): "`not_suspended`, `certificate_revoked`",
    ("POST", "/v1/certificates/{certificate_id}/revoke"): "`already_revoked`",
    ("POST", "/v1/assignments"): "`not_certified` (人证合一: a required certificate is not valid on the start date),"
                                 " `employed_elsewhere` (with `transfer_id` or null), `already_assigned`",
    ("POST", "/v1/transfers"): "`transfer_pending`, `consent_not_needed`",
    ("POST", "/v1/transfers/{transfer_id}/consent"): "`already_consented`, `transfer_closed`",
    ("POST", "/v1/transfers/{transfer_id}/refuse"): "`transfer_closed`",
    ("POST", "/v1/transfers/{transfer_id}/withdraw"): "`transfer_closed`",
    ("POST", "/v1/badges"): "`not_assigned`, `not_compliant` (the person is not compliant today)",
    ("POST", "/v1/badges/{badge_id}/revoke"): "`badge_revoked`",
    ("POST", "/v1/badges/{badge_id}/suspend"): "`badge_already_suspended`, `badge_revoked`",
    ("POST", "/v1/badges/{badge_id}/reinstate"): "`badge_already_active`, `badge_revoked`",
    ("POST", "/v1/providers/{provider_id}/completions"): "`completion_conflict` (the event id is in use with other content)",
    ("POST", "/v1/providers/{provider_id}/assessments"): "`assessment_conflict` (the event id is in use with another result)",
    ("POST", "/v1/providers/{provider_id}/sessions/{code}/attendance"): "`already_signed_in`, `already_signed_out`,"
                                                                        " `out_before_in`",
    ("POST", "/v1/training-rules"): "`rules_version` (not the next version, or adopted already)",
    ("POST", "/v1/subsidy-claims/{claim_id}/payment"): "`already_paid`",
    ("POST", "/v1/subsidy-claims/{claim_id}/unpaid"): "`not_paid`",
}
for _key, _codes in _CLASHES.items():
    EXTRAS.setdefault(_key, {})[409] = (f"Clashes with what is recorded: {_codes}; or `concurrent_modification`"
                                        " (another request changed the same record first: retry).")

DESCRIPTIONS: dict[tuple[str, str], str] = {}
"""(METHOD, route template) → a description for a handler that has no docstring."""


@dataclass(frozen=True)
class Operation:
    """What the document says of one operation, beyond what Litestar wrote."""

    summary: str
    description: str
    statuses: dict[int, str] = field(default_factory=dict)
    """Status besides the usual success → why this operation answers it (the generic reason when empty)."""
    recorded: bool = False
    """A write: 202 with what was stored when the answer after the save fails."""


def roles_of(handler: HTTPRouteHandler) -> list[str]:
    """The roles the handler's guards admit (``shared.http.auth.allow`` marks its guards)."""
    guards = [g for layer in handler.ownership_layers for g in (layer.guards or []) if hasattr(g, "roles")]
    return sorted({str(role) for guard in guards for role in guard.roles})


def docstring(handler: HTTPRouteHandler) -> str | None:
    """The handler function's own docstring (a sync handler run in a thread is wrapped by Litestar)."""
    fn = handler.fn
    return getattr(fn, "func", fn).__doc__


def is_public(handler: HTTPRouteHandler) -> bool:
    return bool(handler.opt.get(PUBLIC))


def _plain(text: str) -> str:
    """reStructuredText literals (````code````) as Markdown ones."""
    return re.sub(r"``([^`]+)``", r"`\1`", text)


def summary_of(doc: str) -> str:
    """The docstring's first sentence without its parenthesised asides: a short summary."""
    first = doc.split("\n\n", 1)[0].replace("\n", " ")
    while (shorter := re.sub(r"\s*\([^()]*\)", "", first)) != first:
        first = shorter
    sentence = re.split(r"(?<=[.;:])\s", first, maxsplit=1)[0].rstrip(".;: ")
    summary = _plain(sentence.strip() or first)
    return summary if len(summary) <= 100 else summary[:100].rsplit(" ", 1)[0].rstrip(",;:") + " …"


def describe(route: HTTPRoute, method: str, handler: HTTPRouteHandler, has_body: bool, has_parameters: bool) -> Operation:
    """The operation's summary, description and error statuses, from the route and the tables above."""
    key = (method, route.path_format)
    doc = cleandoc(docstring(handler) or "") or DESCRIPTIONS.get(key, "")
    # Without a docstring the summary is the handler's name, and the description only who may call it:
    # tests/integration/test_api_documentation.py names the route (the document is still served).
    errors: dict[int, str] = {}
    public = is_public(handler)
    roles = roles_of(handler)
    if not public:
        errors[401] = ""
        errors[429] = ""
    if key not in NEVER_UNAVAILABLE:
        errors[503] = ""
    if roles:
        errors[403] = ""
    if has_body:
        errors.update({400: "", 413: "", 422: ""})
    if has_parameters:
        errors[422] = ""
    if route.path_parameters:
        errors[404] = ""
    write = method in WRITES and key not in QUERIES_BY_POST
    if write and not public:
        errors[409] = ""
    errors.update(EXTRAS.get(key, {}))
    who = ("Public: no API key needed." if public
           else f"Needs an API key of one of the roles: {', '.join(roles)}." if roles else "Needs an API key.")
    summary = summary_of(doc) if doc else handler.handler_name.replace("_", " ").capitalize()
    if " " not in summary and handler.resolve_tags():  # "Suspend": say what
        summary = f"{summary} ({', '.join(handler.resolve_tags())})"
    return Operation(summary=summary, description=f"{_plain(doc)}\n\n{who}".strip(), statuses=dict(sorted(errors.items())),
                     recorded=write and not public)


def operations(routes: list[HTTPRoute]) -> dict[tuple[str, str], tuple[HTTPRoute, HTTPRouteHandler]]:
    """(METHOD, route template) → its route and handler, for the routes in the document."""
    found = {}
    for route in routes:
        for method, (handler, _) in route.route_handler_map.items():
            if method not in ("OPTIONS", "HEAD") and handler.resolve_include_in_schema():
                found[(method, route.path_format or "/")] = (route, handler)
    return found
