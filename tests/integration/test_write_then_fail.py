"""A request answered with an error changed nothing; a request that changed something is answered with success.

Failures are forced on either side of the save: after it (the read that builds the answer, the
projector, the group-commit writer's catch-up, a later batch of a bulk post) the answer is 2xx
and the event is in the log; before it (the event store refuses) the answer is an error and
the log is unchanged.
"""

from __future__ import annotations


import pytest
from eventsourcing.persistence import OperationalError

from services.credential.application.registry import Registry
from services.training.application import posting
from services.training.application import TrainingRecords
from shared.projection import Projector
from tests.conftest import issue
from tests.integration.training_world import MID_2025, approve, learn_people

NURSERY = {"name": "朱泾一托", "town": "朱泾镇", "ownership": "public", "inclusive": True}


def down(*args, **kwargs):
    raise OperationalError("the database went away")


def bug(*args, **kwargs):
    raise RuntimeError("a bug after the save")


@pytest.mark.parametrize("failure", [down, bug], ids=["storage", "bug"])
def test_a_failure_after_the_save_is_answered_202_with_what_was_stored(credential_http, monkeypatch, failure):
    client = credential_http
    app = client.app.state.service
    registrar = issue(app, "registrar")
    monkeypatch.setattr(Registry, "nursery", failure)  # the read that builds the answer
    response = client.post("/v1/nurseries", json=NURSERY, headers=registrar)
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["status"] == "recorded" and body["unavailable"]["status"] in (500, 503)
    (stored,) = body["stored"]
    assert stored["topic"] == "carecred.credential:Nursery.Registered.v1" and stored["version"] == 1
    monkeypatch.undo()
    assert client.get(f"/v1/nurseries/{stored['aggregate_id']}", headers=registrar).json()["name"] == "朱泾一托"


def test_the_projector_failing_after_the_save_does_not_turn_the_write_into_an_error(credential_http, monkeypatch):
    client = credential_http
    app = client.app.state.service
    registrar = issue(app, "registrar")
    monkeypatch.setattr(Projector, "catch_up", down)
    response = client.post("/v1/staff", json={"name": "李丽", "id_number": "11010519491231002X"}, headers=registrar)
    assert response.status_code == 202, response.text
    staff_id = response.json()["stored"][0]["aggregate_id"]
    monkeypatch.undo()
    assert client.get(f"/v1/staff/{staff_id}", headers=registrar).json()["name"] == "李丽"


def test_a_failure_before_the_save_is_an_error_and_changes_nothing(credential_http, monkeypatch):
    client = credential_http
    app = client.app.state.service
    registrar = issue(app, "registrar")
    before = app.recorder.max_notification_id()
    monkeypatch.setattr(app.recorder, "insert_events", down)
    response = client.post("/v1/nurseries", json=NURSERY, headers=registrar)
    assert response.status_code == 503 and response.json()["code"] == "storage_unavailable"
    refused = client.post("/v1/nurseries", json={**NURSERY, "town": "火星"}, headers=registrar)
    assert refused.status_code == 422
    monkeypatch.undo()
    assert app.recorder.max_notification_id() == before
    assert client.get("/v1/nurseries", headers=registrar).json() == []


@pytest.fixture
def provider(training_http):
    app = training_http.app.state.service
    provider_id = approve(app)
    people = learn_people(app, 3)
    return training_http, app, provider_id, people, issue(app, "provider", str(provider_id))


def item(event_id: str, person: str, course: str = "SK01") -> dict:
    return {"event_id": event_id, "staff_id": person, "course_code": course, "completed_at": MID_2025,
            "class_hours": 8}


def test_a_single_completion_saved_by_the_group_writer_is_answered_2xx_when_the_ledger_read_fails(provider,
                                                                                                 monkeypatch):
    client, app, provider_id, (wang, *_), key = provider
    app.catalogue.catalogue_rows(provider_id)  # the catalogue in memory: posting reads no read model but the ledger
    monkeypatch.setattr(Projector, "catch_up", down)
    monkeypatch.setattr(Projector, "catch_up_past", down)  # the writer's own catch-up after its save
    response = client.post(f"/v1/providers/{provider_id}/completions", json=item("E1", wang), headers=key)
    assert response.status_code == 202, response.text
    (stored,) = response.json()["stored"]
    monkeypatch.undo()
    assert app.posting.completion_row(stored["aggregate_id"])["event_id"] == "E1"
    again = client.post(f"/v1/providers/{provider_id}/completions", json=item("E1", wang), headers=key)
    assert again.status_code == 200 and again.json()["completion_id"] == stored["aggregate_id"]  # a retry is safe


def test_a_bulk_post_failing_after_some_are_stored_answers_what_was_stored(provider, monkeypatch):
    client, app, provider_id, (wang, li, zhao), key = provider
    monkeypatch.setattr(posting, "SAVE_BATCH", 2)
    saves = []
    original = TrainingRecords.save

    def second_batch_fails(self, *objs, **kwargs):
        saves.append(len(objs))
        if len(saves) == 2:
            raise OperationalError("the database went away")
        return original(self, *objs, **kwargs)

    monkeypatch.setattr(TrainingRecords, "save", second_batch_fails)
    items = [item("B1", wang), item("B2", li), item("B3", zhao), item("B4", wang, "SK02")]
    response = client.post(f"/v1/providers/{provider_id}/completions/bulk", json={"items": items}, headers=key)
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["created"], result["rejected"]) == (2, 2)
    assert [(r["outcome"], r.get("code")) for r in result["results"]] == [
        ("created", None), ("created", None), ("rejected", "storage_unavailable"), ("rejected", "storage_unavailable")]
    monkeypatch.undo()
    ids = [r["completion_id"] for r in result["results"][:2]]
    assert sorted(r["event_id"] for r in app.posting.ledger_rows(ids).values()) == ["B1", "B2"]
    posted = {p.event_id for p in app.ledger.submissions(provider_id).items}
    assert posted == {"B1", "B2"}  # the rejected ones were not stored: posting them again is safe

    monkeypatch.setattr(TrainingRecords, "save", down)
    before = app.recorder.max_notification_id()
    failed = client.post(f"/v1/providers/{provider_id}/completions/bulk", json={"items": items[2:]}, headers=key)
    assert failed.status_code == 503 and app.recorder.max_notification_id() == before  # nothing stored: an error
    monkeypatch.undo()
    again = client.post(f"/v1/providers/{provider_id}/completions/bulk", json={"items": items}, headers=key).json()
    assert (again["created"], again["duplicate"]) == (2, 2)
