"""Single completions posted at the same moment are saved together, and each provider call gets its own answer."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from uuid import UUID, uuid4

import pytest

from services.training.application import TrainingRecords
from tests.integration.training_world import approve, completion, learn_people, provider_actor


@pytest.fixture
def training(settings):
    app = TrainingRecords(settings)
    yield app
    app.close()


def test_a_burst_of_single_posts_with_a_retry_and_a_conflict_among_them(training):
    sou = approve(training)
    people = learn_people(training, 12)
    (first,) = training.posting.post_completions(sou, [completion("E-old", people[0], course="SK01")], provider_actor(sou))
    assert first.outcome == "created"
    burst = [completion(f"E{i}", people[i], course="SK02") for i in range(1, 12)]
    burst += [
        completion("E-old", people[0], course="SK01"),  # a retry: the same again
        completion("E-old", people[0], course="ET01", hours=4),  # a different reuse of the event id
        completion("E1", people[1], course="SK02"),  # the same new completion posted twice at once
    ]

    def post_one(item):
        (outcome,) = training.posting.post_completions(sou, [item], provider_actor(sou))
        return item.event_id, outcome.outcome

    with ThreadPoolExecutor(max_workers=len(burst)) as pool:
        answers = list(pool.map(post_one, burst))

    assert sorted(answers[:11]) in (
        sorted([(f"E{i}", "created") for i in range(1, 12)]),
        sorted([("E1", "duplicate")] + [(f"E{i}", "created") for i in range(2, 12)]),
    )
    assert answers[11] == ("E-old", "duplicate")
    assert answers[12] == ("E-old", "conflict")
    assert sorted(o for e, o in answers if e == "E1") == ["created", "duplicate"]
    for i in range(1, 12):
        assert training.ledger.person_year(UUID(people[i]), 2025).skills.earned == 8
    assert training.ledger.person_year(UUID(people[0]), 2025).ethics.earned == 0


def test_a_retry_among_a_group_of_new_posts_leaves_the_others_saved_as_one_group(training):
    sou = approve(training)
    people = learn_people(training, 6)
    (old,) = training.posting.post_completions(sou, [completion("E-old", people[0], course="SK01")], provider_actor(sou))
    writer = training.posting.completion_writer
    gate, entered, alone = threading.Event(), threading.Event(), []
    save_all, save_one = writer.save_all, writer.save_one

    def held_first(group):  # the first group waits inside the writer while the burst queues behind it
        entered.set()
        gate.wait(5)
        writer.save_all = save_all
        save_all(group)

    def counted(pending):
        alone.append(pending.kwargs["event_id"])
        return save_one(pending)

    writer.save_all, writer.save_one = held_first, counted

    def post_one(item):
        (outcome,) = training.posting.post_completions(sou, [item], provider_actor(sou))
        return item.event_id, outcome.outcome

    burst = [completion(f"E{i}", people[i], course="SK02") for i in range(2, 6)]
    burst.insert(2, completion("E-old", people[0], course="SK01"))  # a retry in the middle
    with ThreadPoolExecutor(max_workers=len(burst) + 1) as pool:
        blocker = pool.submit(post_one, completion("E1", people[1], course="SK02"))
        assert entered.wait(5)
        answers = [pool.submit(post_one, item) for item in burst]
        deadline = time.monotonic() + 5
        while writer._queue.qsize() < len(burst):
            assert time.monotonic() < deadline, "the burst did not queue"
            time.sleep(0.005)
        gate.set()
        assert blocker.result(5) == ("E1", "created")
        assert sorted(a.result(5) for a in answers) == sorted(
            [(f"E{i}", "created") for i in range(2, 6)] + [("E-old", "duplicate")])
    assert alone == ["E-old"]  # only the retry was saved on its own
    assert training.posting.recorded_ids([old.completion_id, str(uuid4())]) == {old.completion_id}
    for i in range(1, 6):
        assert training.ledger.person_year(UUID(people[i]), 2025).skills.earned == 8
