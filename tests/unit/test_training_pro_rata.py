"""Training rules per role and the pro-rating of a part year: pure rules, no I/O."""

import datetime as dt

import pytest

from services.training.domain.rules import RULES_V1, Rules, Span, months_in_post, pro_rated, requirement, rules_for_year

V2 = Rules(version=2, applies_from_year=2026, default={"skills": 144, "ethics": 80},
           roles={"head": {"skills": 180, "ethics": 80}, "cook": {"skills": 48, "ethics": 40}}, pro_rata=True)


@pytest.mark.parametrize(("spans", "months"), [
    ([Span("caregiver", dt.date(2026, 7, 1))], 6),
    ([Span("caregiver", dt.date(2026, 6, 30))], 7),  # one day in June counts June
    ([Span("caregiver", dt.date(2020, 1, 1), dt.date(2026, 3, 15))], 3),
    ([Span("caregiver", dt.date(2026, 1, 1), dt.date(2026, 2, 10)), Span("cook", dt.date(2026, 2, 20))], 12),
    ([Span("caregiver", dt.date(2027, 1, 1))], 0),
    ([Span("caregiver", dt.date(2024, 1, 1), dt.date(2025, 12, 31))], 0),
])
def test_months_in_post_count_calendar_months_touched(spans, months):
    assert months_in_post(spans, 2026) == months


def test_pro_rating_rounds_up_to_the_half_hour():
    assert pro_rated(144, 6) == 72 and pro_rated(80, 7) == 47 and pro_rated(80, 12) == 80 and pro_rated(80, 0) == 0


def test_the_rules_of_a_year_are_the_latest_version_applying_from_it_or_earlier():
    v3 = Rules(version=3, applies_from_year=2028, default={"skills": 100, "ethics": 40}, pro_rata=True)
    assert rules_for_year([V2, v3], 2025) is RULES_V1
    assert rules_for_year([V2, v3], 2027) is V2
    assert rules_for_year([V2, v3], 2030) is v3


def test_several_roles_owe_the_highest_hours_of_each_category_for_the_months_in_post():
    owed = requirement(V2, [Span("cook", dt.date(2025, 1, 1), dt.date(2026, 5, 31)),
                            Span("head", dt.date(2026, 9, 1))], 2026)
    assert owed.roles == ("cook", "head") and owed.months_in_post == 9
    assert owed.required == {"skills": 135, "ethics": 60}


def test_rules_v1_and_an_unknown_assignment_owe_the_full_year():
    assert requirement(RULES_V1, [Span("cook", dt.date(2026, 7, 1))], 2026).required == {"skills": 144, "ethics": 80}
    unknown = requirement(V2, [], 2026)
    assert unknown.required == {"skills": 144, "ethics": 80} and unknown.months_in_post is None


def test_a_feed_event_published_before_rules_were_versioned_reads_as_rules_v1():
    import msgspec

    from contracts.events.training import CompletionRecorded

    old = (b'{"type":"completion.recorded.v1","completion_id":"c","staff_id":"s","provider_id":"p",'
           b'"course_code":"SK01","category":"skills","hours":8.0,"completed_on":"2025-06-30","counted":true,'
           b'"totals":{"year":2025,"skills_hours":8.0,"ethics_hours":0.0,"skills_required":72.0,"ethics_required":40.0}}')
    event = msgspec.json.decode(old, type=CompletionRecorded)
    assert event.totals.rules_version == 1 and event.totals.skills_required == 72
