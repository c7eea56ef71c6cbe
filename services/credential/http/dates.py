"""The optional ``on=YYYY-MM-DD`` query parameter every "as on date D" query takes."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from litestar.params import Parameter

from services.credential.usecases.common import today

OnDate = Annotated[
    dt.date | None,
    Parameter(description="As on this date (YYYY-MM-DD); default today in Asia/Shanghai"),
]


def on_or_today(on: dt.date | None) -> dt.date:
    return on or today()
