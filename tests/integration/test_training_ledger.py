"""Training providers post completions; the ledger keeps 72 skills and 40 ethics hours per year."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from uuid import UUID

import pytest

from services.training.application import TrainingRecords
from services.training.domain.completion import Completion, completion_id_for
from shared import projection
from shared.errors import Conflict, Invalid
from tests.integration.training_world import (
    ETHICS_COURSES, SKILLS_COURSES, REGISTRAR, approve, completion, id_number, learn_people, provider_actor,
)


@pytest.fixture
def training(settings):
    app = TrainingRecords(settings)
    yield app
    app.close()


@pytest.fixture
def sou(training):
    return approve(training)


def post(app, provider_id, *items):
    return app.posting.post_completions(provider_id, list(items), provider_actor(provider_id))


def stored_completions(app: TrainingRecords) -> list:
    events = [app.mapper.to_domain_event(n) for n in app.recorder.select_notifications(start=1, limit=100_000)]
    return [e for e in events if isinstance(e, Completion.Recorded)]


def test_a_provider_retry_storm_records_the_completion_once(training, sou):
    (wang,) = learn_people(training, 1)
    item = completion("SOU-2025-000001", wang)
    sequential = [post(training, sou, item)[0].outcome for _ in range(5)]

    def retry(_):
        return post(training, sou, item)[0].outcome

    with ThreadPoolExecutor(max_workers=8) as pool:
        concurrent = list(pool.map(retry, range(24)))
    assert sequential == ["created"] + ["duplicate"] * 4
    assert concurrent == ["duplicate"] * 24
    assert len(stored_completions(training)) == 1
    assert training.ledger.person_year(UUID(wang), 2025).skills.earned == 8


def test_a_concurrent_first_post_storm_still_records_once(training, sou):
    (wang,) = learn_people(training, 1)
    item = completion("SOU-2025-000002", wang, course="ET01", hours=4)
    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(lambda _: post(training, sou, item)[0].outcome, range(16)))
    assert sorted(outcomes) == ["created"] + ["duplicate"] * 15
    assert len(stored_completions(training)) == 1
    assert training.ledger.person_year(UUID(wang), 2025).ethics.earned == 4


def test_a_conflicting_retry_is_refused_and_changes_nothing(training, sou):
    (wang,) = learn_people(training, 1)
    post(training, sou, completion("E1", wang, course="SK01"))
    before = training.recorder.max_notification_id()
    (outcome,) = post(training, sou, completion("E1", wang, course="SK02"))
    assert outcome.outcome == "conflict" and outcome.differences == ["course_code"]
    assert training.recorder.max_notification_id() == before
    assert [e.course_code for e in training.ledger.person_year(UUID(wang), 2025).entries] == ["SK01"]


def test_the_same_course_twice_in_a_year_is_recorded_but_earns_no_hours(training, sou):
    (wang,) = learn_people(training, 1)
    post(training, sou, completion("E1", wang, at="2025-03-01T10:00:00+08:00"))
    post(training, sou, completion("E2", wang, at="2025-09-01T10:00:00+08:00"))
    post(training, sou, completion("E3", wang, at="2024-09-01T10:00:00+08:00"))
    second = training.posting.completion_row(completion_id_for(sou, "E2"))
    assert not second["counted"] and second["reason"] == "course already counted in 2025"
    year = training.ledger.person_year(UUID(wang), 2025)
    assert year.skills.earned == 8
    assert [(e.event_id, e.status, e.reason) for e in year.entries] == [
        ("E1", "counted", None), ("E2", "not_counted", "course already counted in 2025"),
    ]
    assert training.ledger.person_year(UUID(wang), 2024).skills.earned == 8


@pytest.mark.parametrize("copy_from", [1, projection.COPY_FROM], ids=["rows-after-the-pipeline", "rows-in-the-pipeline"])
def test_one_batch_decides_counted_in_log_order_and_a_reversed_completion_no_longer_blocks(training, sou, copy_from,
                                                                                          monkeypatch):
    # A large batch writes the ledger's rows after the projector's pipeline (by COPY on PostgreSQL), a small one
    # inside it: the same decisions either way.
    monkeypatch.setattr(projection, "COPY_FROM", copy_from)
    wang, li = learn_people(training, 2)
    post(training, sou, completion("R1", li, at="2025-02-01T10:00:00+08:00"))
    training.corrections.reverse_completion(sou, completion_id_for(sou, "R1"), "wrong person", provider_actor(sou))
    post(training, sou, completion("K1", li, course="SK02", at="2025-02-01T10:00:00+08:00"))
    # One post: the ledger applies its completions in one batch, deciding each in log order.
    post(training, sou, completion("E1", wang, at="2025-03-01T10:00:00+08:00"),
         completion("E2", wang, at="2025-09-01T10:00:00+08:00"),
         completion("E3", wang, at="2024-09-01T10:00:00+08:00"),
         completion("E4", li, at="2025-03-01T10:00:00+08:00"),
         completion("E5", li, course="SK02", at="2025-03-01T10:00:00+08:00"))
    rows = {e: training.posting.completion_row(completion_id_for(sou, e)) for e in ("E1", "E2", "E3", "E4", "E5")}
    assert {e: (bool(r["counted"]), r["reason"]) for e, r in rows.items()} == {
        "E1": (True, None), "E2": (False, "course already counted in 2025"), "E3": (True, None),
        "E4": (True, None), "E5": (False, "course already counted in 2025"),
    }


def full_year(app, provider_id, person, prefix="E"):
    items = [completion(f"{prefix}-{c}", person, course=c) for c in SKILLS_COURSES]
    items += [completion(f"{prefix}-{c}", person, course=c, hours=4) for c in ETHICS_COURSES]
    assert {o.outcome for o in post(app, provider_id, *items)} == {"created"}


def test_a_reversal_drops_a_person_below_72_hours_and_the_shortfall_shows(training, sou):
    (wang,) = learn_people(training, 1)
    full_year(training, sou, wang)
    year = training.ledger.person_year(UUID(wang), 2025)
    assert (year.skills.earned, year.ethics.earned, year.complete) == (72, 40, True)

    result, new = training.corrections.reverse_completion(sou, completion_id_for(sou, "E-SK03"), "learner did not attend", provider_actor(sou))
    assert new and result.reason == "learner did not attend"
    year = training.ledger.person_year(UUID(wang), 2025)
    assert (year.skills.earned, year.skills.required, year.skills.shortfall) == (64, 72, 8)
    assert year.ethics.shortfall == 0 and not year.complete
    reversed_entry = next(e for e in year.entries if e.event_id == "E-SK03")
    assert reversed_entry.status == "reversed" and reversed_entry.reason == "learner did not attend"
    # Nothing was deleted: the original Recorded event is still there, followed by its reversal.
    assert len(stored_completions(training)) == 19


def test_a_repeated_reversal_answers_the_same_and_a_different_one_is_refused(training, sou):
    (wang,) = learn_people(training, 1)
    post(training, sou, completion("E1", wang))
    cid = completion_id_for(sou, "E1")
    first, new = training.corrections.reverse_completion(sou, cid, "duplicate upload", provider_actor(sou))
    again, new_again = training.corrections.reverse_completion(sou, cid, "duplicate upload", provider_actor(sou))
    assert new and not new_again and first == again
    with pytest.raises(Conflict) as refused:
        training.corrections.reverse_completion(sou, cid, "another reason", provider_actor(sou))
    assert refused.value.code == "already_reversed"


def test_when_the_completion_that_counted_is_reversed_the_next_one_counts(training, sou):
    (wang,) = learn_people(training, 1)
    post(training, sou, completion("E1", wang), completion("E2", wang, at="2025-07-01T10:00:00+08:00"))
    training.corrections.reverse_completion(sou, completion_id_for(sou, "E1"), "wrong person", provider_actor(sou))
    year = training.ledger.person_year(UUID(wang), 2025)
    assert [(e.event_id, e.status) for e in year.entries] == [("E1", "reversed"), ("E2", "counted")]
    assert year.skills.earned == 8


def test_new_years_eve_2330_in_shanghai_counts_for_that_year_and_0030_for_the_next(training, sou):
    (wang,) = learn_people(training, 1)
    outcomes = post(training, sou,
                    completion("NYE", wang, course="SK01", at="2025-12-31T15:30:00Z"),
                    completion("NYD", wang, course="SK02", at="2025-12-31T16:30:00Z"))
    assert [o.outcome for o in outcomes] == ["created", "created"]
    assert [e.event_id for e in training.ledger.person_year(UUID(wang), 2025).entries] == ["NYE"]
    assert [e.event_id for e in training.ledger.person_year(UUID(wang), 2026).entries] == ["NYD"]
    assert training.posting.completion_row(completion_id_for(sou, "NYD"))["year"] == 2026


def test_a_correction_reverses_and_replaces_in_one_transaction(training, sou):
    wang, li = learn_people(training, 2)
    post(training, sou, completion("E1", wang, course="SK01"))
    original = completion_id_for(sou, "E1")
    fixed = completion("E1-fix", li, course="SK01")
    reversal, replacement, new = training.corrections.correct_completion(sou, original, "posted for the wrong person", fixed, provider_actor(sou))
    assert new and reversal.replaced_by == replacement.completion_id and replacement.replaces == str(original)
    assert training.ledger.person_year(UUID(wang), 2025).skills.earned == 0
    assert training.ledger.person_year(UUID(li), 2025).skills.earned == 8
    # The reversal and the replacement were written by one save: consecutive notifications.
    rev, rec = training.recorder.select_notifications(start=training.recorder.max_notification_id() - 1, limit=2)
    assert rec.id == rev.id + 1 and rev.originator_id == original
    again = training.corrections.correct_completion(sou, original, "posted for the wrong person", fixed, provider_actor(sou))
    assert again == (reversal, replacement, False)
    with pytest.raises(Conflict):
        training.corrections.correct_completion(sou, original, "again", completion("E1-fix2", li), provider_actor(sou))


def test_a_correction_with_a_bad_replacement_changes_nothing(training, sou):
    (wang,) = learn_people(training, 1)
    post(training, sou, completion("E1", wang))
    before = training.recorder.max_notification_id()
    with pytest.raises(Invalid) as refused:
        training.corrections.correct_completion(sou, completion_id_for(sou, "E1"), "typo", completion("E2", wang, hours=7),
                                                provider_actor(sou))
    assert refused.value.field == "replacement.class_hours"
    assert training.recorder.max_notification_id() == before
    assert training.ledger.person_year(UUID(wang), 2025).skills.earned == 8


def test_a_withdrawn_course_keeps_its_past_hours_and_refuses_new_ones(training, sou):
    wang, li = learn_people(training, 2)
    post(training, sou, completion("E1", wang))
    training.catalogue.withdraw_course(sou, "SK01", "replaced by SK10", REGISTRAR)
    (refused,) = post(training, sou, completion("E2", li))
    assert refused.outcome == "rejected" and refused.error.field == "course_code" and refused.error.code == "course_withdrawn"
    (retry,) = post(training, sou, completion("E1", wang))
    assert retry.outcome == "duplicate"  # a retry of what was recorded before still answers the original
    (reuse,) = post(training, sou, completion("E1", wang, hours=4))
    assert reuse.outcome == "conflict" and reuse.differences == ["class_hours"]  # not course_withdrawn
    assert training.ledger.person_year(UUID(wang), 2025).skills.earned == 8


def test_a_withdrawn_provider_keeps_its_past_hours_and_posts_nothing_new(training, sou):
    (wang,) = learn_people(training, 1)
    post(training, sou, completion("E1", wang))
    training.catalogue.withdraw_provider(sou, "approval ended", REGISTRAR)
    (refused,) = post(training, sou, completion("E2", wang, course="SK02"))
    assert refused.error.field == "provider_id" and refused.error.code == "provider_withdrawn"
    (retry,) = post(training, sou, completion("E1", wang))
    assert retry.outcome == "duplicate" and retry.completion_id == str(completion_id_for(sou, "E1"))
    assert training.ledger.person_year(UUID(wang), 2025).skills.earned == 8


def test_a_person_named_by_id_number_is_found_and_the_number_is_never_stored(training, sou):
    (wang,) = learn_people(training, 1)
    number = id_number(0)
    item = completion("E1", None, id_number=number.lower())
    assert post(training, sou, item)[0].outcome == "created"
    assert training.ledger.person_year(UUID(wang), 2025).skills.earned == 8
    stored = b"".join(n.state for n in training.recorder.select_notifications(start=1, limit=1000))
    assert number.encode() not in stored
    for table in ("completions", "people"):
        assert all(number not in str(v) for row in training.store.query(f"SELECT * FROM {table}") for v in dict(row).values())


def test_the_ledger_as_on_a_date_shows_what_was_recorded_by_the_end_of_that_day(training, sou):
    (wang,) = learn_people(training, 1)
    post(training, sou, completion("E1", wang))
    training.corrections.reverse_completion(sou, completion_id_for(sou, "E1"), "mistake", provider_actor(sou))
    today = dt.datetime.now(dt.UTC).astimezone(dt.timezone(dt.timedelta(hours=8))).date()
    yesterday = training.ledger.person_year(UUID(wang), 2025, on=today - dt.timedelta(days=1))
    assert yesterday.entries == [] and yesterday.skills.shortfall == 72 and yesterday.on
    as_today = training.ledger.person_year(UUID(wang), 2025, on=today)
    assert [e.status for e in as_today.entries] == ["reversed"]
    page = training.ledger.submissions(sou, on=today - dt.timedelta(days=1))
    assert page.items == []


def test_a_forgotten_person_gets_no_new_completions(training, sou):
    wang, li = learn_people(training, 2)
    training.people.forget_person(li)
    outcomes = post(training, sou, completion("E1", wang), completion("E2", li))
    assert [o.outcome for o in outcomes] == ["created", "rejected"]
    assert outcomes[1].error.field == "staff_id" and outcomes[1].error.code == "unknown_person"


def test_events_record_who_acted(training, sou):
    (wang,) = learn_people(training, 1)
    post(training, sou, completion("E1", wang))
    (event,) = stored_completions(training)
    assert event.actor == provider_actor(sou)
