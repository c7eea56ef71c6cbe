"""The training year: a completion's calendar year in Asia/Shanghai, whatever offset it was sent with."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


class InvalidTime(ValueError):
    """The text is not an RFC 3339 date-time with an offset."""


def parse_completed_at(text: str) -> dt.datetime:
    """An RFC 3339 date-time with offset (``Z`` or ``+08:00``); a time without an offset is refused."""
    if "T" not in text.upper() and " " not in text:
        raise InvalidTime("must be an RFC 3339 date-time with offset, e.g. 2025-06-30T14:00:00+08:00")
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise InvalidTime("must be an RFC 3339 date-time with offset, e.g. 2025-06-30T14:00:00+08:00") from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidTime("needs an offset (Z or +08:00): the year is decided in Asia/Shanghai")
    return moment


def shanghai_date(moment: dt.datetime) -> dt.date:
    """The calendar date in Shanghai at that instant."""
    return moment.astimezone(SHANGHAI).date()


def training_year(moment: dt.datetime) -> int:
    """The calendar year (Asia/Shanghai) a completion counts for."""
    return shanghai_date(moment).year


def end_of_day_utc(day: dt.date) -> str:
    """The first instant after ``day`` ends in Shanghai, as a sortable UTC timestamp."""
    start_of_next = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=SHANGHAI)
    return utc_stamp(start_of_next)


def utc_stamp(moment: dt.datetime) -> str:
    """A fixed-width UTC timestamp that sorts as text (recorded times in the read model)."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
