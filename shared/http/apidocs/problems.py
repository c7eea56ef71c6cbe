"""The error answers as the OpenAPI document states them: RFC 9457 problem details with ``code``.

``shared.http.problems`` builds every error answer; this states their shape (``Problem``, and
``ValidationProblem`` whose ``errors`` name the fields at fault) and one example per status.
"""

from __future__ import annotations

from typing import Any

from shared.http.problems import PROBLEM_BASE

PROBLEM_MEDIA_TYPE = "application/problem+json"

FIELD_ERROR: dict[str, Any] = {
    "type": "object",
    "description": "One field at fault.",
    "required": ["field", "message", "source"],
    "properties": {
        "field": {"type": "string", "description": "The field's path in the body (`items.3.class_hours`), or the"
                  " parameter's name; empty when the body as a whole is at fault.", "examples": ["expires_on"]},
        "message": {"type": "string", "description": "What is wrong with it.",
                    "examples": ["must be after issued_on"]},
        "source": {"type": "string", "description": "Where the field is.", "enum": ["body", "query", "path", "header", "cookie"],
                   "examples": ["body"]},
    },
}

PROBLEM: dict[str, Any] = {
    "type": "object",
    "description": "An error, as RFC 9457 problem details. `code` is stable: branch on it, not on the text."
                   " Some problems carry more members (the id of the existing record on a 409, `read_model` on a 503...).",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string", "description": f"`{PROBLEM_BASE}` followed by the code.",
                 "examples": [PROBLEM_BASE + "not_found"]},
        "title": {"type": "string", "description": "A short summary of the kind of problem."},
        "status": {"type": "integer", "description": "The HTTP status.", "minimum": 400, "maximum": 599},
        "detail": {"type": "string", "description": "What went wrong this time, in words."},
        "code": {"type": "string", "description": "The stable, machine-readable code.", "pattern": "^[a-z0-9_]+$"},
        "errors": {"type": "array", "items": {"$ref": "#/components/schemas/FieldError"},
                   "description": "The fields at fault, when a field is to blame."},
    },
    "additionalProperties": True,
}

VALIDATION_PROBLEM: dict[str, Any] = {
    "description": "A 422: the request has invalid fields. `errors` names each field at fault"
                   " (a rule that concerns no single field answers without it).",
    "allOf": [{"$ref": "#/components/schemas/Problem"}],
    "properties": {"status": {"const": 422}, "errors": {"type": "array", "items": {"$ref": "#/components/schemas/FieldError"}}},
}

SCHEMAS = {"Problem": PROBLEM, "ValidationProblem": VALIDATION_PROBLEM, "FieldError": FIELD_ERROR}


def example(status: int, code: str, title: str, detail: str, **extra: Any) -> dict[str, Any]:
    """A problem as the service answers it."""
    return {"type": PROBLEM_BASE + code, "title": title, "status": status, "detail": detail, "code": code, **extra}


STATUSES: dict[int, tuple[str, dict[str, Any]]] = {
    400: ("The body is not acceptable JSON (not UTF-8, not JSON, a lone surrogate, nested too deeply).",
          example(400, "malformed_body", "The request body is not valid JSON",
                  "The body is not valid UTF-8 JSON: Expecting value: line 1 column 1 (char 0)")),
    401: ("No API key, or one that is unknown, revoked or expired (`WWW-Authenticate: Bearer`).",
          example(401, "unauthenticated", "A valid API key is required", "Send an API key as 'Authorization: Bearer <key>'.")),
    403: ("The key's role, or its scope (an hr key's nursery, a provider key's provider), does not allow this.",
          example(403, "forbidden", "Your key's role or scope does not allow this",
                  "This needs one of the roles: hr, registrar; your key is inspector.")),
    404: ("Not found, or not visible to this key (an hr key sees only its own nursery's records).",
          example(404, "not_found", "Not found", "no staff member with id 6f1c0e0a-0000-4000-8000-000000000001")),
    409: ("Clashes with what is recorded; the code says how (the existing record's id when there is one)."
          " `concurrent_modification`: another request changed the same record first; retry.",
          example(409, "concurrent_modification", "Someone changed this at the same time; try again",
                  "Another request changed the same record first; retry.")),
    413: ("The body is larger than this route accepts (`CARECRED_MAX_BODY_BYTES`).",
          example(413, "body_too_large", "The request body is too large", "The request body is larger than this route accepts.")),
    422: ("A field is invalid: `errors` names each field at fault, with where it is (body, query, path).",
          example(422, "validation_failed", "The request has invalid fields", "expires_on: must be after issued_on",
                  errors=[{"field": "expires_on", "message": "must be after issued_on", "source": "body"}])),
    429: ("Too many failed authentications from this client; `Retry-After` says when to try again"
          " (a valid key is always served).",
          example(429, "too_many_failed_logins", "Too many failed logins", "Too many failed authentications; retry in 42s.")),
    503: ("The storage, or a read model this answer needs, is unavailable; nothing was changed."
          " `Retry-After` says when to try again.",
          example(503, "storage_unavailable", "Storage is unavailable; try again shortly", "The database did not answer.")),
}
