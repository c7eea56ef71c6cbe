"""The optional ``on=YYYY-MM-DD`` query parameter every "as on date D" query takes (default today)."""

from __future__ import annotations

import datetime as dt

from services.credential.application.common import today
from shared.http.params import OnDate, checked_day

__all__ = ["OnDate", "on_or_today"]


def on_or_today(on: dt.date | None) -> dt.date:
    """The date asked about (422 outside 1900-01-01..2200-12-31), or today in Asia/Shanghai."""
    return checked_day(on) or today()
