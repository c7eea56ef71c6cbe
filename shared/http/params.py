"""Query and path parameters: one annotated type per kind, so no raw text or date reaches a query.

A text parameter carries a pattern (no NUL, no control or format character; often a
stricter form such as a UUID or a course code) and a length limit, which Litestar checks
before the handler runs (422 naming the parameter). A date is parsed by Litestar and then
checked against its range (``contracts.dates``) by ``checked_day``; an instant arrives as
text and is parsed and checked by ``checked_instant``: every handler taking one passes it
through those before using it.

An instant's offset is often written ``+08:00`` straight into a URL, where ``+`` means a space
(``application/x-www-form-urlencoded``): ``?as_of=2026-03-01T08:00:00+08:00`` reaches the
service as ``2026-03-01T08:00:00 08:00``. A time followed by a space and ``HH:MM`` can only be
such an offset whose sign was lost (a negative one keeps its ``-``), so it is read as ``+HH:MM``.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, overload

import msgspec
from litestar.params import Parameter, PathParameter

from contracts.dates import BUSINESS_DAYS, INSTANTS, in_range
from contracts.text import LINE_PATTERN
from shared.http.problems import invalid_parameter


def query_text(description: str, *, max_length: int, pattern: str = LINE_PATTERN, optional: bool = True) -> Any:
    """A text query parameter: the one-line text policy (or a stricter pattern), a length limit."""
    kind = str | None if optional else str
    return Annotated[kind, Parameter(description=description, max_length=max_length, pattern=pattern)]


def path_text(description: str, *, max_length: int, pattern: str = LINE_PATTERN) -> Any:
    """A text path segment, likewise."""
    return Annotated[str, PathParameter(description=description, min_length=1, max_length=max_length, pattern=pattern)]


OnDate = Annotated[dt.date | None, Parameter(
    description="As on this date (YYYY-MM-DD, between 1900-01-01 and 2200-12-31)",
)]
_INSTANT_HINT = ("; write + as %2B in a URL (an unencoded + arrives as a space, which is read as +"
                 " before an offset HH:MM)")
_LONGEST_INSTANT = 64
_INSTANT_CHARACTERS = r"^[0-9TtZz:.+ -]*$"
"""What an RFC 3339 instant is written with, and the space an unencoded ``+`` becomes."""
AsOf = Annotated[str | None, Parameter(
    description=("Answer as the service had recorded things at this instant (recorded time): an RFC 3339"
                 " date-time with a UTC offset, between 2000-01-01T00:00:00Z and 2200-12-31T23:59:59Z"
                 + _INSTANT_HINT),
    schema_extra={"format": "date-time"}, max_length=_LONGEST_INSTANT, pattern=_INSTANT_CHARACTERS,
)]
RequiredAsOf = Annotated[str, Parameter(
    description="An RFC 3339 instant with a UTC offset (recorded time), between 2000-01-01 and 2200-12-31"
                + _INSTANT_HINT,
    schema_extra={"format": "date-time"}, max_length=_LONGEST_INSTANT, pattern=_INSTANT_CHARACTERS,
)]
_OFFSET_SIGN_LOST = re.compile(
    r"(?P<time>\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?) (?P<offset>\d{2}:\d{2})", re.ASCII
)


def checked_day(value: dt.date | None, field: str = "on") -> dt.date | None:
    """The date query parameter, or 422 naming it when it is outside the business range."""
    if (why := in_range(value, BUSINESS_DAYS)) is not None:
        raise invalid_parameter(field, f"{field} {why}")
    return value


@overload
def checked_instant(text: str, field: str = ...) -> dt.datetime: ...
@overload
def checked_instant(text: str | None, field: str = ...) -> dt.datetime | None: ...
def checked_instant(text: str | None, field: str = "as_of") -> dt.datetime | None:
    """The instant query parameter parsed, or 422 naming it when it is not an RFC 3339 instant with
    an offset (the offset's ``+`` may have become a space, see above) or is out of range."""
    if text is None:
        return None
    if sign_lost := _OFFSET_SIGN_LOST.fullmatch(text):
        text = f"{sign_lost['time']}+{sign_lost['offset']}"
    try:
        value = msgspec.convert(text, dt.datetime)
    except msgspec.ValidationError:
        raise invalid_parameter(field, f"{field} must be an RFC 3339 date-time with a UTC offset, such as"
                                       f" 2026-03-01T08:00:00+08:00 or 2026-03-01T00:00:00Z{_INSTANT_HINT}") from None
    if (why := in_range(value, INSTANTS)) is not None:
        raise invalid_parameter(field, f"{field} {why}")
    return value
