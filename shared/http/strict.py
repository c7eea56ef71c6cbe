"""Strict JSON bodies: wrong types and unknown fields are errors, never silently coerced.

Litestar converts bodies leniently (``"12"`` becomes ``12``). This hook decodes the raw body
strictly against the handler's ``data`` type first, so only exact bodies reach the handler.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import msgspec
from litestar import Request
from litestar.exceptions import ValidationException

from shared.http.problems import field_of_msgspec_error, problem


@lru_cache(maxsize=256)
def _decoder(annotation: Any) -> msgspec.json.Decoder[Any]:
    return msgspec.json.Decoder(annotation, strict=True)


async def strict_body(request: Request[Any, Any, Any]) -> None:
    """Before-request hook: refuse a JSON body that does not match the handler's type exactly."""
    data = request.route_handler.parsed_fn_signature.parameters.get("data")
    if data is None or data.annotation in (bytes, str, Any):
        return
    body = await request.body()
    try:
        _decoder(data.annotation).decode(body)
    except msgspec.ValidationError as exc:
        field, message = field_of_msgspec_error(str(exc))
        raise ValidationException(
            detail=f"{field or '(body)'}: {message}",
            extra=[{"key": field, "message": message, "source": "body"}],
        ) from None
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:
        raise problem(400, "malformed_body", f"The body is not valid UTF-8 JSON: {exc}") from None
