"""The training year: a completion's calendar year in Asia/Shanghai, whatever offset it was sent with."""

from __future__ import annotations

import datetime as dt
import re

from shared.district import local_date, start_of_next_day

FIRST_YEAR = 2000
"""No completion before 2000 is recorded (the ledger's years are 2000-2100)."""
LAST_YEAR = 2200
CLOCK_SKEW = dt.timedelta(minutes=5)
"""How far in the future a completion may be stamped: a provider's clock may run a little fast."""
_RFC3339 = re.compile(
    r"^(?P<year>[0-9]{4})-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?"
    r"(?P<offset>[Zz]|[+-][0-9]{2}:[0-9]{2})?$",
    re.ASCII,
)
_EXAMPLE = "e.g. 2025-06-30T14:00:00+08:00"


class InvalidTime(ValueError):
    """The text is not an RFC 3339 date-time with an offset, or not in the years the ledger keeps."""


def parse_completed_at(text: str) -> dt.datetime:
    """An RFC 3339 date-time with seconds and an offset (``Z`` or ``+08:00``), in 2000-2200.

    Other ISO 8601 forms Python would accept (week dates ``2026-W05-3``, ordinal dates, basic
    format without dashes, hours only) are refused: providers' systems all speak RFC 3339, and
    one form means one way to compare a retry. The year is checked before any arithmetic, so
    ``0001-01-01T00:00:00+14:00`` is refused rather than overflowing.
    """
    match = _RFC3339.match(text)
    if match is None:
        raise InvalidTime(f"must be an RFC 3339 date-time with seconds and an offset, {_EXAMPLE}")
    if match.group("offset") is None:
        raise InvalidTime("needs an offset (Z or +08:00): the year is decided in Asia/Shanghai")
    if not FIRST_YEAR <= int(match.group("year")) <= LAST_YEAR:
        raise InvalidTime(f"must be between {FIRST_YEAR}-01-01 and {LAST_YEAR}-12-31")
    try:
        moment = dt.datetime.fromisoformat(text.replace("z", "Z").replace("t", "T"))
    except ValueError:
        raise InvalidTime(f"is not a valid date and time, {_EXAMPLE}") from None
    if not FIRST_YEAR <= training_year(moment) <= LAST_YEAR:  # the year in Shanghai, as the ledger counts it
        raise InvalidTime(f"must be between {FIRST_YEAR}-01-01 and {LAST_YEAR}-12-31")
    return moment


def training_year(moment: dt.datetime) -> int:
    """The calendar year (Asia/Shanghai) a completion counts for."""
    return local_date(moment).year


def end_of_day_utc(day: dt.date) -> str:
    """The first instant after ``day`` ends in Shanghai, as a sortable UTC timestamp."""
    return utc_stamp(start_of_next_day(day))


def utc_stamp(moment: dt.datetime) -> str:
    """A fixed-width UTC timestamp that sorts as text (recorded times in the read model)."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
