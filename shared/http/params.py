"""Query and path parameters: one annotated type per kind, so no raw text or date reaches a query.

A text parameter carries a pattern (no NUL, no control or format character; often a
stricter form such as a UUID or a course code) and a length limit, which Litestar checks
before the handler runs (422 naming the parameter). A date or an instant is parsed by Litestar
and then checked against its range (``contracts.dates``) by ``checked_day`` /
``checked_instant``: every handler taking one passes it through those before using it.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

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
AsOf = Annotated[dt.datetime | None, Parameter(
    description=("Answer as the service had recorded things at this instant (recorded time): an RFC 3339"
                 " date-time with a UTC offset, between 2000-01-01T00:00:00Z and 2200-12-31T23:59:59Z"),
)]
RequiredAsOf = Annotated[dt.datetime, Parameter(
    description="An RFC 3339 instant with a UTC offset (recorded time), between 2000-01-01 and 2200-12-31",
)]


def checked_day(value: dt.date | None, field: str = "on") -> dt.date | None:
    """The date query parameter, or 422 naming it when it is outside the business range."""
    if (why := in_range(value, BUSINESS_DAYS)) is not None:
        raise invalid_parameter(field, f"{field} {why}")
    return value


def checked_instant(value: dt.datetime | None, field: str = "as_of") -> dt.datetime | None:
    """The instant query parameter, or 422 naming it when it has no offset or is out of range."""
    if (why := in_range(value, INSTANTS)) is not None:
        raise invalid_parameter(field, f"{field} {why}")
    return value
