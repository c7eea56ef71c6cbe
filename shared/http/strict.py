"""Strict JSON bodies: exact types, no unknown or repeated keys, text normalised, dates in range.

Litestar converts bodies leniently (``"12"`` becomes ``12``) and JSON parsers keep the last of
two equal keys silently (``{"name": "A", "name": "B"}``: which one did the client mean?). This
hook parses the raw body itself, refusing repeated keys and numbers no field can hold, then
converts it strictly to the handler's ``data`` type: a ``contracts.command.Command`` normalises
its text and checks the text policy and date ranges as it is built. The handler receives that
very value (it is handed to Litestar as the request's parsed JSON), so what is stored is the
normalised text, and nothing else in the body can reach an event.
"""

from __future__ import annotations

import json
import math
from typing import Any

import msgspec
from litestar import Request
from litestar.exceptions import ValidationException
from litestar.utils.scope.state import ScopeState

from shared.http.problems import field_of_msgspec_error, problem


class _Refused(ValueError):
    """The body is JSON no client should send: why, and the field if one is to blame."""

    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.field = field


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    for key, _ in pairs:
        if not key.isascii() and _has_surrogate(key):
            raise _Refused("a key holds a lone surrogate escape (\\ud800-\\udfff)")
    found = dict(pairs)
    if len(found) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _Refused("appears twice in one JSON object: send each field once", field=key)
            seen.add(key)
    return found


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _number(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Refused(f"the number {text[:40]} is out of range")
    return value


def _constant(name: str) -> Any:
    raise _Refused(f"{name} is not a JSON number")


def parse_json(body: bytes) -> Any:
    """The body as plain values: UTF-8 JSON, each key once per object, finite numbers only."""
    try:
        return json.loads(body.decode("utf-8"), object_pairs_hook=_object, parse_float=_number,
                          parse_constant=_constant)
    except _Refused as exc:
        if exc.field:
            raise ValidationException(
                detail=f"{exc.field}: {exc}", extra=[{"key": exc.field, "message": str(exc), "source": "body"}],
            ) from None
        raise problem(400, "malformed_body", f"The body is not acceptable JSON: {exc}") from None
    except RecursionError:
        raise problem(400, "malformed_body", "The body is nested too deeply.") from None
    except (UnicodeDecodeError, ValueError) as exc:  # json.JSONDecodeError is a ValueError; so are huge integers
        raise problem(400, "malformed_body", f"The body is not valid UTF-8 JSON: {exc}") from None


async def strict_body(request: Request[Any, Any, Any]) -> None:
    """Before-request hook: refuse a JSON body that does not match the handler's type exactly."""
    data = request.route_handler.parsed_fn_signature.parameters.get("data")
    if data is None or data.annotation in (bytes, str, Any):
        return
    raw = parse_json(await request.body())
    try:
        value = msgspec.convert(raw, data.annotation, strict=True)
    except UnicodeEncodeError:  # a lone surrogate where no text field checks it (an enum, a date ...)
        raise problem(400, "malformed_body", "The body holds a lone surrogate escape (\\ud800-\\udfff).") from None
    except msgspec.ValidationError as exc:
        field, message = field_of_msgspec_error(str(exc))
        raise ValidationException(
            detail=f"{field or '(body)'}: {message}",
            extra=[{"key": field, "message": message, "source": "body"}],
        ) from None
    ScopeState.from_scope(request.scope).json = value  # what the handler gets as ``data``
