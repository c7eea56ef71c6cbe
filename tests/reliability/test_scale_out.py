"""Two replicas of each service on one PostgreSQL, no shared memory, hammered at once on the same
certificates and the same completions: every accepted command is in the log exactly once,
conflicts are clear 409 problems (never a 500), and no read model disagrees with a replay."""

from __future__ import annotations

import datetime as dt
import random
import threading
import time
from collections import Counter, defaultdict
from uuid import UUID

import pytest

from services.credential.application import Credentials
from services.training.application import TrainingRecords
from services.training.domain.completion import completion_id_for
from shared.audit.replay import replay
from tests.conftest import drop_schemas, make_settings, require_postgres
from tests.integration.certification_world import REGISTRAR, certificate, nursery, person
from tests.integration.training_world import MID_2025, SKILLS_COURSES, approve, learn_people
from tests.reliability.replicas import Replicas, call, events_per_aggregate

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

THREADS = 6
SECONDS = 8.0
OPS_PER_THREAD = 30
D = dt.date.fromisoformat


def open_application(service: str, settings):
    return Credentials(settings) if service == "credential" else TrainingRecords(settings)


@pytest.fixture
def world(tmp_path):
    """A district on PostgreSQL: three certificates, a provider with its catalogue, six people."""
    require_postgres()
    settings = make_settings("postgres", tmp_path)
    replicas = Replicas(settings, tmp_path / "logs")
    credentials = Credentials(settings)
    training = TrainingRecords(settings)
    try:
        holder = person(credentials, "陈静", nursery(credentials, "枫泾一托"))
        certificates = [certificate(credentials, holder, t, D("2025-01-01"), D("2027-01-01"))
                        for t in ("nursery_worker", "health", "infant_care")]
        _, registrar = credentials.issue_key(role="registrar", scope=None, name="registrar", actor=REGISTRAR)
        provider_id = approve(training)
        people = learn_people(training, 6)
        _, provider = training.issue_key(role="provider", scope=str(provider_id), name="SOU", actor=REGISTRAR)
    finally:
        credentials.close()
        training.close()
    replicas.district.issue_service_keys(open_application)
    replicas.start()
    yield settings, replicas, dict(certificates=certificates, registrar=registrar, provider_id=provider_id,
                                   people=people, provider=provider)
    replicas.stop()
    drop_schemas(settings.schema_prefix)


def hammer(work, threads: int = THREADS) -> None:
    """Run ``work(thread_number, deadline)`` on several threads; re-raise the first failure."""
    deadline = time.monotonic() + SECONDS
    errors: list[BaseException] = []

    def run(n: int) -> None:
        try:
            work(n, deadline)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test thread
            errors.append(exc)

    pool = [threading.Thread(target=run, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(timeout=120)
    if errors:
        raise errors[0]


def assert_clear_refusal(status: int, headers: dict[str, str], body) -> None:
    assert status < 500, (status, body)
    assert headers["content-type"].startswith("application/problem+json"), headers
    assert body["status"] == status and body["code"] and body["detail"], body


def test_registrars_on_both_replicas_change_the_same_certificates_and_nothing_is_lost_or_doubled(world):
    settings, replicas, w = world
    credential = replicas.processes["credential"]
    accepted: Counter[str] = Counter()
    refusals: Counter[tuple[int, str]] = Counter()
    lock = threading.Lock()
    expiry = iter(range(1, 10_000))

    def work(n: int, deadline: float) -> None:
        rng = random.Random(n)
        for _ in range(OPS_PER_THREAD):
            if time.monotonic() > deadline:
                return
            cid = rng.choice(w["certificates"])
            action = rng.choice(["suspend", "reinstate", "renew"])
            body = {"suspend": {"reason": "投诉调查"}, "reinstate": {"note": "调查结束"},
                    "renew": {"expires_on": (D("2027-01-01") + dt.timedelta(days=next(expiry))).isoformat(),
                              "note": "续期"}}[action]
            status, headers, answer = call(rng.choice(credential), "POST", f"/v1/certificates/{cid}/{action}",
                                           body, w["registrar"])
            with lock:
                if status == 200:
                    accepted[cid] += 1
                else:
                    assert_clear_refusal(status, headers, answer)
                    assert status in (409, 422), (status, answer)
                    refusals[(status, answer["code"])] += 1

    hammer(work)
    assert '"level":"error"' not in replicas.logs()
    assert sum(accepted.values()) > 10 and refusals, (accepted, refusals)
    app = Credentials(settings)
    try:
        events = events_per_aggregate(app, "carecred.credential:Certificate.")
        for cid in w["certificates"]:
            assert events[UUID(cid)] == 1 + accepted[cid], f"certificate {cid}: log and answers disagree"
        report = replay(app)
        assert report.identical, "\n".join(d.describe() for d in report.differences)
    finally:
        app.close()


def test_providers_post_the_same_and_different_completions_to_both_replicas_and_each_is_recorded_once(world):
    settings, replicas, w = world
    training = replicas.processes["training"]
    base = f"/v1/providers/{w['provider_id']}/completions"
    shared_ids = [f"SOU-2025-{i:03d}" for i in range(24)]
    created: Counter[str] = Counter()
    answered: Counter[str] = Counter()
    lock = threading.Lock()

    def item(event_id: str) -> dict:
        number = int(event_id.rsplit("-", 1)[1])
        return {"event_id": event_id, "staff_id": w["people"][number % len(w["people"])],
                "course_code": SKILLS_COURSES[number % len(SKILLS_COURSES)], "completed_at": MID_2025,
                "class_hours": 8}

    def note(event_id: str, outcome: str) -> None:
        assert outcome in ("created", "duplicate"), (event_id, outcome)
        answered[event_id] += 1
        if outcome == "created":
            created[event_id] += 1

    def work(n: int, deadline: float) -> None:
        rng = random.Random(100 + n)
        for step in range(OPS_PER_THREAD // 3):
            if time.monotonic() > deadline:
                return
            replica = rng.choice(training)
            if step % 3 == 2:  # a bulk batch: some shared ids, some of this thread's own
                ids = rng.sample(shared_ids, 5) + [f"T{n}-{step}-{k:03d}" for k in range(5)]
                status, headers, answer = call(replica, "POST", f"{base}/bulk",
                                               {"items": [item(i) for i in ids]}, w["provider"])
                assert status == 200, (status, answer)
                with lock:
                    for result in answer["results"]:
                        note(result["event_id"], result["outcome"])
            else:
                event_id = rng.choice(shared_ids) if step % 2 else f"T{n}-{step}-{step:03d}"
                status, headers, answer = call(replica, "POST", f"{base}/", item(event_id), w["provider"])
                assert status in (200, 201), (status, answer)
                with lock:
                    note(event_id, "created" if status == 201 else "duplicate")

    hammer(work)
    assert '"level":"error"' not in replicas.logs()
    assert any(n > 1 for n in answered.values()), "no completion was posted twice"
    assert all(created[e] == 1 for e in answered), {e: created[e] for e in answered if created[e] != 1}
    app = TrainingRecords(settings)
    try:
        events = events_per_aggregate(app, "carecred.training:Completion.")
        expected = {completion_id_for(w["provider_id"], e) for e in answered}
        assert set(events) == expected and all(n == 1 for n in events.values())
        report = replay(app)
        assert report.identical, "\n".join(d.describe() for d in report.differences)
    finally:
        app.close()
