"""Stories of the training ledger, in memory: providers post completions, retries are safe, a course
counts once per person per year, and a year is complete at 72 skills and 40 ethics class hours."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from services.training.domain.completion import Completion
from services.training.domain.hours import half_hours_of
from services.training.domain.ledger import COUNTED, NOT_COUNTED, REVERSED
from services.training.domain.requirement import REQUIRED_HOURS
from tests.fast.desks import TrainingDesk

pytestmark = pytest.mark.fast

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def desk() -> TrainingDesk:
    return TrainingDesk()


@pytest.fixture
def open_university(desk: TrainingDesk) -> str:
    provider = desk.approve_provider("SOU", "上海开放大学")
    desk.catalogue(provider, "SK-CARE-1", "skills", 16)
    desk.catalogue(provider, "SK-CARE-2", "skills", 24)
    desk.catalogue(provider, "SK-SAFE", "skills", 32)
    desk.catalogue(provider, "ET-NORMS", "ethics", 20)
    desk.catalogue(provider, "ET-CASES", "ethics", 20)
    return provider


@pytest.fixture
def chen(desk: TrainingDesk) -> str:
    staff_id = str(uuid.uuid4())
    desk.learn_person(staff_id)  # registered in the credential service; learned from its feed
    return staff_id


def post(desk, provider, staff_id, course, at, hours, event_id=None):
    return desk.post(provider, event_id=event_id or f"{course}/{at}", staff_id=staff_id, course_code=course,
                     completed_at=at, class_hours=hours, now=NOW)


def recorded(desk: TrainingDesk) -> list[Completion.Recorded]:
    return [e for e in desk.events.stored() if isinstance(e, Completion.Recorded)]


def test_the_open_university_posts_a_completion_and_it_earns_its_hours(desk, open_university, chen):
    outcome = post(desk, open_university, chen, "SK-CARE-1", "2025-03-12T16:00:00+08:00", 16, "SOU-2025-000001")

    assert outcome.outcome == "created"
    entries, totals = desk.year(chen, 2025)
    assert [(e.course_code, s.status) for e, s in entries] == [("SK-CARE-1", COUNTED)]
    assert totals.earned == {"skills": half_hours_of(16), "ethics": 0}


def test_a_retry_of_the_same_completion_is_answered_as_a_duplicate_and_recorded_once(desk, open_university, chen):
    first = post(desk, open_university, chen, "SK-CARE-1", "2025-03-12T16:00:00+08:00", 16, "SOU-2025-000001")
    # The provider's system timed out and sends it again, the instant written in UTC this time.
    again = post(desk, open_university, chen, "SK-CARE-1", "2025-03-12T08:00:00Z", 16, "SOU-2025-000001")

    assert (again.outcome, again.completion_id) == ("duplicate", first.completion_id)
    assert len(recorded(desk)) == 1


def test_reusing_an_event_id_for_another_completion_is_a_conflict_naming_what_differs(desk, open_university, chen):
    post(desk, open_university, chen, "SK-CARE-1", "2025-03-12T16:00:00+08:00", 16, "SOU-2025-000001")
    reused = post(desk, open_university, chen, "ET-NORMS", "2025-03-12T16:00:00+08:00", 20, "SOU-2025-000001")

    assert reused.outcome == "conflict"
    assert reused.differences == ["course_code", "class_hours"]
    assert [e.course_code for e in recorded(desk)] == ["SK-CARE-1"]


def test_two_providers_may_use_the_same_event_id(desk, open_university, chen):
    other = desk.approve_provider("JSEDU", "金山区教育学院")
    desk.catalogue(other, "SK-CARE-1", "skills", 16)
    assert post(desk, open_university, chen, "SK-CARE-1", "2025-03-12T16:00:00+08:00", 16, "E1").outcome == "created"
    assert post(desk, other, chen, "SK-CARE-1", "2025-04-12T16:00:00+08:00", 16, "E1").outcome == "created"


@pytest.mark.parametrize("course, at, hours, field, code", [
    ("SK-NOPE", "2025-03-12T16:00:00+08:00", 16, "course_code", "unknown_course"),
    ("SK-CARE-1", "2025-03-12T16:00:00+08:00", 8, "class_hours", "hours_mismatch"),
    ("SK-CARE-1", "2025-03-12T16:00:00+08:00", 15.7, "class_hours", "invalid_class_hours"),
    ("SK-CARE-1", "2026-06-01T09:00:00+08:00", 16, "completed_at", "completed_in_future"),
    ("SK-CARE-1", "2019-12-31T09:00:00+08:00", 16, "completed_at", "before_course_available"),
    ("SK-CARE-1", "2025-03-12 16:00", 16, "completed_at", "invalid_completed_at"),
])
def test_a_completion_that_cannot_earn_hours_as_posted_is_rejected_naming_the_field(
    desk, open_university, chen, course, at, hours, field, code,
):
    outcome = post(desk, open_university, chen, course, at, hours)
    assert outcome.outcome == "rejected"
    assert (outcome.error.field, outcome.error.code) == (field, code)
    assert recorded(desk) == []


def test_a_completion_for_someone_nobody_registered_is_rejected(desk, open_university):
    outcome = post(desk, open_university, str(uuid.uuid4()), "SK-CARE-1", "2025-03-12T16:00:00+08:00", 16)
    assert (outcome.outcome, outcome.error.code, outcome.error.field) == ("rejected", "unknown_person", "staff_id")


def test_a_withdrawn_course_earns_no_new_hours(desk, open_university, chen):
    desk.withdraw_course(open_university, "SK-SAFE")
    outcome = post(desk, open_university, chen, "SK-SAFE", "2025-03-12T16:00:00+08:00", 32)
    assert (outcome.outcome, outcome.error.code) == ("rejected", "course_withdrawn")


def test_the_same_course_twice_in_a_year_counts_once_and_the_second_says_why(desk, open_university, chen):
    first = post(desk, open_university, chen, "SK-CARE-1", "2025-03-12T16:00:00+08:00", 16)
    second = post(desk, open_university, chen, "SK-CARE-1", "2025-10-08T16:00:00+08:00", 16)
    next_year = post(desk, open_university, chen, "SK-CARE-1", "2026-01-05T10:00:00+08:00", 16)
    assert {first.outcome, second.outcome, next_year.outcome} == {"created"}

    entries, totals = desk.year(chen, 2025)
    assert [(s.status, s.reason, s.counted_instead) for _, s in entries] == [
        (COUNTED, None, None), (NOT_COUNTED, "course already counted in 2025", first.completion_id),
    ]
    assert totals.earned["skills"] == half_hours_of(16)
    assert [s.status for _, s in desk.year(chen, 2026)[0]] == [COUNTED]  # a new year, a new count


def test_when_the_counted_completion_is_reversed_the_next_one_counts_instead(desk, open_university, chen):
    first = post(desk, open_university, chen, "SK-CARE-1", "2025-03-12T16:00:00+08:00", 16)
    post(desk, open_university, chen, "SK-CARE-1", "2025-10-08T16:00:00+08:00", 16)

    desk.reverse(first.completion_id, "posted for the wrong person")

    entries, totals = desk.year(chen, 2025)
    assert [s.status for _, s in entries] == [REVERSED, COUNTED]
    assert totals.earned["skills"] == half_hours_of(16)
    assert len(recorded(desk)) == 2  # nothing was deleted: the reversal is an event of its own


def test_the_year_of_a_completion_is_its_calendar_year_in_shanghai(desk, open_university, chen):
    # 2025-12-31 17:30 in UTC is already 2026-01-01 01:30 in Shanghai.
    post(desk, open_university, chen, "ET-NORMS", "2025-12-31T17:30:00Z", 20)
    assert desk.year(chen, 2025)[0] == []
    assert [e.course_code for e, _ in desk.year(chen, 2026)[0]] == ["ET-NORMS"]


def test_a_year_is_complete_at_72_skills_and_40_ethics_hours_and_not_a_half_hour_before(desk, open_university, chen):
    assert REQUIRED_HOURS == {"skills": 72, "ethics": 40}
    for course, hours, day in (("SK-CARE-1", 16, "03-01"), ("SK-CARE-2", 24, "04-01"), ("ET-NORMS", 20, "05-01")):
        post(desk, open_university, chen, course, f"2025-{day}T10:00:00+08:00", hours)
    _, short = desk.year(chen, 2025)
    assert not short.complete
    assert short.shortfall == {"skills": half_hours_of(32), "ethics": half_hours_of(20)}

    post(desk, open_university, chen, "SK-SAFE", "2025-06-01T10:00:00+08:00", 32)
    post(desk, open_university, chen, "ET-CASES", "2025-07-01T10:00:00+08:00", 20)
    _, done = desk.year(chen, 2025)
    assert done.complete and done.shortfall == {"skills": 0, "ethics": 0}
    assert done.earned == {"skills": half_hours_of(72), "ethics": half_hours_of(40)}

    desk.reverse(str(recorded(desk)[-1].originator_id), "the ethics course was not attended")
    _, reversed_one = desk.year(chen, 2025)
    assert not reversed_one.complete and reversed_one.shortfall == {"skills": 0, "ethics": half_hours_of(20)}


def test_hours_beyond_the_requirement_do_not_make_up_for_another_category(desk, open_university, chen):
    for course, hours, day in (("SK-CARE-1", 16, "03-01"), ("SK-CARE-2", 24, "04-01"), ("SK-SAFE", 32, "05-01")):
        post(desk, open_university, chen, course, f"2025-{day}T10:00:00+08:00", hours)
    _, totals = desk.year(chen, 2025)
    assert totals.shortfall == {"skills": 0, "ethics": half_hours_of(40)} and not totals.complete
