"""Every error answered as RFC 9457 problem details, with a stable ``code``.

Validation problems carry ``errors``: a list of ``{field, message}`` naming the field at fault.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import psycopg
import psycopg_pool
from eventsourcing.persistence import (
    DatabaseError,
    DataError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    PersistenceError,
    ProgrammingError,
)
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.plugins.problem_details import ProblemDetailsConfig, ProblemDetailsException, ProblemDetailsPlugin
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from shared.audit.checkpoint import CheckpointKeyMissing
from shared.errors import Conflict, DomainError, Forbidden, Invalid, NotFound, ReadModelStalled, UntrustedLog

log = logging.getLogger("carecred.http")

PROBLEM_BASE = "urn:carecred:problem:"

_CODES_BY_STATUS = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "body_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "too_many_requests",
    503: "unavailable",
}
_TITLES = {
    "validation_failed": "The request has invalid fields",
    "malformed_body": "The request body is not valid JSON",
    "unauthenticated": "A valid API key is required",
    "forbidden": "Your key's role or scope does not allow this",
    "not_found": "Not found",
    "method_not_allowed": "Method not allowed",
    "body_too_large": "The request body is too large",
    "storage_unavailable": "Storage is unavailable; try again shortly",
    "concurrent_modification": "Someone changed this at the same time; try again",
    "internal": "Internal error",
}


def problem(status: int, code: str, detail: str, headers: dict[str, str] | None = None, **extra: Any) -> ProblemDetailsException:
    return ProblemDetailsException(
        status_code=status,
        type_=PROBLEM_BASE + code,
        title=_TITLES.get(code, code.replace("_", " ").capitalize()),
        detail=printable(detail),
        headers=headers,
        extra={"code": code, **extra},
    )


def printable(text: str) -> str:
    """Text safe to echo in a JSON answer: a lone surrogate a client sent is shown escaped, not encoded."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _from_http(exc: HTTPException) -> ProblemDetailsException:
    if isinstance(exc, ProblemDetailsException):
        return exc
    status = exc.status_code
    code = _CODES_BY_STATUS.get(status, f"http_{status}")
    if isinstance(exc, ValidationException):
        return _from_validation(exc)
    headers = dict(exc.headers or {})
    if status == 401:
        headers.setdefault("WWW-Authenticate", 'Bearer realm="carecred"')
    if status == 413:
        return problem(413, code, "The request body is larger than this route accepts.", headers=headers)
    detail = exc.detail if exc.detail and exc.detail != _TITLES.get(code) else _TITLES.get(code, str(status))
    return problem(status, code, detail, headers=headers)


def _from_validation(exc: ValidationException) -> ProblemDetailsException:
    errors = []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        field = printable(str(item.get("key") or item.get("field") or ""))
        source = item.get("source", "body")
        errors.append({"field": field, "message": printable(str(item.get("message", ""))),
                       "source": str(getattr(source, "value", source))})  # Litestar's ParamType is an enum
    if exc.detail and "JSON is malformed" in exc.detail or (exc.detail or "").startswith("Malformed"):
        return problem(400, "malformed_body", exc.detail, errors=errors)
    detail = "; ".join(f"{e['field'] or '(body)'}: {e['message']}" for e in errors) or printable(exc.detail or "")
    return problem(422, "validation_failed", detail, errors=errors)


STATUS_OF: dict[type[DomainError], int] = {
    DomainError: 422,
    Invalid: 422,
    NotFound: 404,
    Conflict: 409,
    Forbidden: 403,
    ReadModelStalled: 503,
    UntrustedLog: 503,
    CheckpointKeyMissing: 503,
}
"""The HTTP status of each kind of domain error; a subclass answers as its nearest listed ancestor."""


def status_of(exc: DomainError) -> int:
    """The HTTP status a domain error is answered with (the domain itself knows none)."""
    return next(STATUS_OF[kind] for kind in type(exc).__mro__ if kind in STATUS_OF)


def _from_domain(exc: DomainError) -> ProblemDetailsException:
    extra = dict(exc.extra)
    if exc.field:
        extra["errors"] = [{"field": exc.field, "message": printable(exc.detail), "source": "body"}]
    return problem(status_of(exc), exc.code, exc.detail, **extra)


def invalid_parameter(field: str, detail: str, source: str = "query") -> ProblemDetailsException:
    """422 ``invalid_field`` naming a query or path parameter (a domain error names a body field)."""
    return problem(422, "invalid_field", detail, errors=[{"field": field, "message": printable(detail), "source": source}])


def _from_conflict(exc: IntegrityError) -> ProblemDetailsException:
    return problem(409, "concurrent_modification", "Another request changed the same record first; retry.")


STORAGE_RETRY_AFTER = "2"


def _from_storage(exc: Exception) -> ProblemDetailsException:
    """Any failure of the storage (down, unreachable, pool exhausted, lock timeout) is a 503, never a 500."""
    log.warning("storage unavailable: %s: %s", type(exc).__name__, str(exc).splitlines()[0] if str(exc) else "")
    return problem(503, "storage_unavailable", "The database did not answer.",
                   headers={"Retry-After": STORAGE_RETRY_AFTER})


def _bug(exc: Exception) -> ProblemDetailsException:
    """A malformed statement or value is a bug, not an outage: logged, answered as 500."""
    log.error("storage rejected a statement", exc_info=exc)
    return problem(HTTP_500_INTERNAL_SERVER_ERROR, "internal", "An unexpected error occurred.")


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem(HTTP_500_INTERNAL_SERVER_ERROR, "internal", "An unexpected error occurred.").to_response(request)


def problem_details_plugin() -> ProblemDetailsPlugin:
    return ProblemDetailsPlugin(
        ProblemDetailsConfig(
            exception_to_problem_detail_map={
                HTTPException: _from_http,
                DomainError: _from_domain,
                IntegrityError: _from_conflict,
                OperationalError: _from_storage,
                InterfaceError: _from_storage,
                DatabaseError: _from_storage,
                PersistenceError: _from_storage,
                ProgrammingError: _bug,
                DataError: _bug,
                psycopg.OperationalError: _from_storage,
                psycopg.InterfaceError: _from_storage,
                psycopg_pool.PoolTimeout: _from_storage,
                psycopg_pool.PoolClosed: _from_storage,
            }
        )
    )


_PATH = re.compile(r" - at `\$(?P<path>[^`]*)`$")
_FIELD = re.compile(r" - field `(?P<name>[^`]+)`$")
_NAMED = re.compile(r"(?:unknown|missing required) field `(?P<name>[^`]+)`")


def field_of_msgspec_error(message: str) -> tuple[str, str]:
    """Split msgspec's ``"Expected `int`, got `str` - at `$.hours`"`` into (field, message).

    A command's own check (``contracts.command.FieldError``) ends ``- field `name```, before
    msgspec's ``- at `$.path``` of the object it is in.
    """
    path = ""
    if match := _PATH.search(message):
        path = match.group("path").lstrip(".")
        message = message[: match.start()]
    if own := _FIELD.search(message):
        message = message[: own.start()]
        path = f"{path}.{own.group('name')}" if path else own.group("name")
    elif named := _NAMED.search(message):
        path = f"{path}.{named.group('name')}" if path else named.group("name")
    return printable(path), printable(message)
