"""The district's clock: its time zone (Asia/Shanghai), today's date there, and where a day ends."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

DISTRICT_TZ = ZoneInfo("Asia/Shanghai")


def today() -> dt.date:
    """Today's date in the district."""
    return dt.datetime.now(DISTRICT_TZ).date()


def local_date(moment: dt.datetime) -> dt.date:
    """The calendar date in the district at that instant."""
    return moment.astimezone(DISTRICT_TZ).date()


def start_of_next_day(day: dt.date) -> dt.datetime:
    """The instant ``day`` ends in the district: the next midnight there."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=DISTRICT_TZ)
