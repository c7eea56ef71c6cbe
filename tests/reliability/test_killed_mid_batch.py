"""A provider's term-end upload, batch after batch, and the training service is killed (SIGKILL)
in the middle of one: every item it was told was accepted is there after the restart, and
sending the whole upload again completes it, each item answered exactly."""

from __future__ import annotations

import threading
import time
from uuid import UUID

import pytest

from services.training.application import TrainingRecords
from services.training.domain.completion import completion_id_for
from shared.audit.replay import replay
from tests.e2e.processes import District
from tests.integration.training_world import MID_2025, REGISTRAR, SKILLS_COURSES, approve, learn_people
from tests.reliability.replicas import call, events_per_aggregate

pytestmark = pytest.mark.slow

BATCHES = 5
BATCH_SIZE = 1500


def upload(provider_id: UUID, people: list[str]) -> list[list[dict]]:
    """The upload: BATCHES batches of completions, each with its own event id."""
    def item(n: int) -> dict:
        return {"event_id": f"SOU-TERM-{n:06d}", "staff_id": people[n % len(people)],
                "course_code": SKILLS_COURSES[n % len(SKILLS_COURSES)], "completed_at": MID_2025, "class_hours": 8}

    return [[item(b * BATCH_SIZE + i) for i in range(BATCH_SIZE)] for b in range(BATCHES)]


def test_a_service_killed_mid_batch_keeps_what_it_accepted_and_a_retry_completes_the_upload(settings, tmp_path):
    app = TrainingRecords(settings)
    try:
        provider_id = approve(app)
        people = learn_people(app, 20)
        _, token = app.issue_key(role="provider", scope=str(provider_id), name="SOU", actor=REGISTRAR)
    finally:
        app.close()
    district = District(settings, tmp_path / "logs")
    (tmp_path / "logs").mkdir()
    service = district.start("training")
    path = f"/v1/providers/{provider_id}/completions/bulk"
    batches = upload(provider_id, people)
    told_accepted: set[str] = set()
    answered: list[int] = []
    unanswered: list[int] = []
    started: dict[int, float] = {}
    durations: list[float] = []

    def client() -> None:
        for number, batch in enumerate(batches):
            started[number] = time.monotonic()
            try:
                status, _, body = call(service, "POST", path, {"items": batch}, token)
            except OSError:  # the connection died with the process
                unanswered.append(number)
                return
            assert status == 200, (status, body)
            durations.append(time.monotonic() - started[number])
            answered.append(number)
            told_accepted.update(r["event_id"] for r in body["results"] if r["outcome"] in ("created", "duplicate"))

    try:
        worker = threading.Thread(target=client)
        worker.start()
        while len(answered) < 2:  # two batches answered: we know how long one takes
            assert worker.is_alive(), "the client stopped early"
            time.sleep(0.01)
        in_flight = len(answered)
        while in_flight not in started:
            time.sleep(0.001)
        time.sleep(max(0.0, started[in_flight] + min(durations) / 2 - time.monotonic()))
        service.kill()
        worker.join(timeout=60)
        assert unanswered, "the kill did not interrupt a batch"
        assert len(told_accepted) == len(answered) * BATCH_SIZE

        service.start()
        app = TrainingRecords(settings)
        try:
            ids = {e["event_id"]: str(completion_id_for(provider_id, e["event_id"])) for b in batches for e in b}
            logged = {str(cid) for cid in events_per_aggregate(app, "carecred.training:Completion.")}
            recorded_before = {e for e, cid in ids.items() if cid in logged}
        finally:
            app.close()
        assert told_accepted <= recorded_before, "an accepted completion was lost"
        print(f"killed in batch {unanswered[0]}: {len(recorded_before) - len(told_accepted)} of its items were saved")

        for batch in batches:  # the provider sends the whole upload again
            status, _, body = call(service, "POST", path, {"items": batch}, token)
            assert status == 200, (status, body)
            for sent, result in zip(batch, body["results"], strict=True):
                expected = "duplicate" if sent["event_id"] in recorded_before else "created"
                assert (result["event_id"], result["outcome"]) == (sent["event_id"], expected)
                assert result["completion_id"] == ids[sent["event_id"]]
            assert body["created"] + body["duplicate"] == BATCH_SIZE and not body["conflict"] and not body["rejected"]
    finally:
        district.stop_all()

    app = TrainingRecords(settings)
    try:
        events = events_per_aggregate(app, "carecred.training:Completion.")
        assert len(events) == BATCHES * BATCH_SIZE and set(events.values()) == {1}
        report = replay(app)
        assert report.identical, "\n".join(d.describe() for d in report.differences)
    finally:
        app.close()
