"""The hours arithmetic, the Shanghai training year and the once-per-year rule — no I/O."""

import datetime as dt

import pytest

from services.training.domain.completion import Content
from services.training.domain.hours import InvalidHours, half_hours_of, hours_of
from services.training.domain.ledger import COUNTED, NOT_COUNTED, REVERSED, Entry, statuses, totals
from services.training.domain.requirement import REQUIRED_HOURS
from services.training.domain.year import InvalidTime, end_of_day_utc, parse_completed_at, training_year


def test_class_hours_are_exact_half_hours():
    assert half_hours_of(1.5) == 3 and half_hours_of(2) == 4 and half_hours_of("0.5") == 1
    # 0.1 + 0.2 style float drift cannot creep in: 144 half-hour courses are exactly 72 hours.
    assert hours_of(sum(half_hours_of(0.5) for _ in range(144))) == 72


@pytest.mark.parametrize("bad", [0, -1, 0.3, 1.25, "x", float("nan"), True, 1001])
def test_hours_that_are_not_positive_halves_are_refused(bad):
    with pytest.raises(InvalidHours):
        half_hours_of(bad)


def test_the_requirement_is_72_skills_and_40_ethics_hours():
    assert REQUIRED_HOURS == {"skills": 72, "ethics": 40}


@pytest.mark.parametrize(
    ("sent", "year"),
    [
        ("2025-12-31T15:30:00Z", 2025),  # 23:30 on New Year's Eve in Shanghai
        ("2025-12-31T16:30:00Z", 2026),  # 00:30 on New Year's Day in Shanghai
        ("2025-12-31T23:30:00+08:00", 2025),
        ("2026-01-01T00:30:00+08:00", 2026),
        ("2025-12-31T12:00:00-05:00", 2026),  # New York noon is already 1 January in Shanghai
    ],
)
def test_the_training_year_is_the_calendar_year_in_shanghai(sent, year):
    assert training_year(parse_completed_at(sent)) == year


@pytest.mark.parametrize("bad", ["2025-06-30", "2025-06-30T10:00:00", "yesterday", "2025-13-01T00:00:00Z"])
def test_a_completion_time_needs_a_date_time_with_offset(bad):
    with pytest.raises(InvalidTime):
        parse_completed_at(bad)


def test_as_on_a_date_means_until_midnight_shanghai_time():
    assert end_of_day_utc(dt.date(2025, 3, 1)) == "2025-03-01T16:00:00.000000Z"


def entry(cid, course="SK1", category="skills", half=16, year=2025, reversed=False):
    return Entry(cid, course, course, category, half, year, reversed)


def test_the_same_course_counts_once_a_year_and_the_second_says_why():
    entries = [entry("a"), entry("b"), entry("c", year=2026)]
    result = statuses(entries)
    assert [s.status for s in result] == [COUNTED, NOT_COUNTED, COUNTED]
    assert result[1].reason == "course already counted in 2025" and result[1].counted_instead == "a"
    same_year = entries[:2]
    assert totals(same_year, statuses(same_year)).earned["skills"] == 16


def test_when_the_counted_completion_is_reversed_the_next_one_counts():
    entries = [entry("a", reversed=True), entry("b"), entry("c")]
    assert [s.status for s in statuses(entries)] == [REVERSED, COUNTED, NOT_COUNTED]


def test_shortfall_per_category_never_goes_negative():
    entries = [entry(f"s{i}", course=f"SK{i}", half=16) for i in range(10)] + [entry("e", course="ET", category="ethics", half=9)]
    result = totals(entries, statuses(entries))
    assert result.earned == {"skills": 160, "ethics": 9}
    assert result.shortfall == {"skills": 0, "ethics": 71}
    assert not result.complete


def test_a_retry_differs_only_where_the_provider_changed_something():
    at = parse_completed_at("2025-06-30T14:00:00+08:00")
    posted = Content("s1", "SK1", at, 16)
    assert posted.differences(Content("s1", "SK1", parse_completed_at("2025-06-30T06:00:00Z"), 16)) == []
    assert posted.differences(Content("s1", "SK2", at, 17)) == ["course_code", "class_hours"]
