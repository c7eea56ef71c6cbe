"""Two replicas over one database: each sees the other's writes, whether or not its own log position moved."""

from __future__ import annotations

from uuid import UUID

from services.training.application import TrainingRecords
from tests.integration.training_world import approve, completion, learn_people, provider_actor


def test_each_replica_reads_what_the_other_just_recorded(settings):
    first, second = TrainingRecords(settings), TrainingRecords(settings)
    try:
        sou = approve(first)
        (wang,) = learn_people(first, 1)
        assert second.ledger.person_year(UUID(wang), 2025).skills.earned == 0  # both now caught up to the same end
        first.posting.post_completions(sou, [completion("E1", wang, course="SK01")], provider_actor(sou))
        assert second.ledger.person_year(UUID(wang), 2025).skills.earned == 8
        second.posting.post_completions(sou, [completion("E2", wang, course="SK02")], provider_actor(sou))
        assert first.ledger.person_year(UUID(wang), 2025).skills.earned == 16
        assert first.ledger.person_year(UUID(wang), 2025).skills.earned == 16  # nothing new: the same answer
        assert first.projector.position() == second.projector.position() == first.recorder.max_notification_id()
    finally:
        first.close()
        second.close()
