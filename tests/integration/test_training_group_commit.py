"""Single completions posted at the same moment are saved together, and each provider call gets its own answer."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from uuid import UUID

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
