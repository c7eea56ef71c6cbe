"""The district's clock: Asia/Shanghai (+08:00 all year), whatever offset an instant was sent with."""

import datetime as dt

from shared import district

UTC = dt.UTC


def test_an_instant_falls_on_the_districts_calendar_date():
    assert district.local_date(dt.datetime(2025, 12, 31, 15, 59, 59, tzinfo=UTC)) == dt.date(2025, 12, 31)
    assert district.local_date(dt.datetime(2025, 12, 31, 16, 0, tzinfo=UTC)) == dt.date(2026, 1, 1)


def test_a_day_ends_at_the_districts_midnight():
    end = district.start_of_next_day(dt.date(2026, 6, 30))
    assert end.astimezone(UTC) == dt.datetime(2026, 6, 30, 16, 0, tzinfo=UTC)


def test_today_is_the_date_in_the_district_now():
    before = dt.datetime.now(UTC)
    today = district.today()
    after = dt.datetime.now(UTC)
    assert today in {district.local_date(before), district.local_date(after)}
