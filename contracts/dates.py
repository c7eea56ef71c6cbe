"""Dates and instants clients send, and the ranges a nursery's records can need.

A childcare workforce registry has no business with year 1 or year 9999: such dates are
typing mistakes or probes, and date arithmetic on them (an expiry plus a grace period, the
end of a day in Shanghai) overflows. So every date and instant of a command has a range,
stated on its type and enforced by ``contracts.command.Command`` (422 naming the field):

| kind | range |
|---|---|
| business date (issue, expiry, start, end, effective, until, available from) | 1900-01-01 .. 2200-12-31 |
| an instant (key expiry, ``as_of``) | 2000-01-01T00:00:00Z .. 2200-12-31T23:59:59Z, with a UTC offset |

Rules that depend on today or on another field are the domain's and are stated where the
field is: an ethics violation did not occur after today; an expiry is at most 100 years after
its issue (or renewal); a completion is not before 2000 nor in the future beyond five minutes
of clock skew; a birth date in an ID number is between 1900-01-01 and today.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated

import msgspec

FIRST_DAY = dt.date(1900, 1, 1)
LAST_DAY = dt.date(2200, 12, 31)
FIRST_INSTANT = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
LAST_INSTANT = dt.datetime(2200, 12, 31, 23, 59, 59, tzinfo=dt.UTC)


@dataclass(frozen=True)
class DateRange:
    """The first and last value a date or instant field accepts (inclusive)."""

    first: dt.date | dt.datetime
    last: dt.date | dt.datetime

    def refusal(self, value: dt.date | dt.datetime) -> str | None:
        """Why the value is outside the range, or None."""
        if isinstance(value, dt.datetime) and value.tzinfo is None:
            return "needs a UTC offset (e.g. Z or +08:00)"
        if not self.first <= value <= self.last:
            return f"must be between {self.first.isoformat()} and {self.last.isoformat()}"
        return None


BUSINESS_DAYS = DateRange(FIRST_DAY, LAST_DAY)
INSTANTS = DateRange(FIRST_INSTANT, LAST_INSTANT)


def in_range(value: dt.date | dt.datetime | None, within: DateRange) -> str | None:
    """Why ``value`` is out of ``within`` (None when it is in, or absent)."""
    return None if value is None else within.refusal(value)


BusinessDate = Annotated[dt.date, msgspec.Meta(
    description="A calendar date (YYYY-MM-DD) between 1900-01-01 and 2200-12-31.",
    extra={"range": BUSINESS_DAYS},
)]
Instant = Annotated[dt.datetime, msgspec.Meta(
    tz=True,
    description="An RFC 3339 date-time with a UTC offset, between 2000-01-01T00:00:00Z and 2200-12-31T23:59:59Z.",
    extra={"range": INSTANTS},
)]
