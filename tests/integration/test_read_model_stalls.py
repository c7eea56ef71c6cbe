"""A projection that fails on one event stops only its own read model; writes and the other read models go on.

The failure is forced: one handler of a real projection raises for one chosen event (a
nursery named ``POISON``), as a bug or an unforeseen value would. Then the handler is fixed
(the patch undone, as a deployed fix would) and the read model resumes, with no event lost
or applied twice.
"""

from __future__ import annotations

import re
from uuid import UUID

import pytest

from carecred.cli import main
from services.credential.domain.nursery import Nursery
from services.credential.read_models.registry import RegistryProjection
from shared.audit.replay import replay
from tests.audit_support import use_settings
from tests.conftest import issue

POISON = "中毒托育园"


def nursery_body(name: str) -> dict:
    return {"name": name, "town": "朱泾镇", "ownership": "public", "inclusive": True}


def staff_body(number: str, name: str = "李丽") -> dict:
    return {"name": name, "id_number": number}


@pytest.fixture
def poisoned(monkeypatch):
    """The registry's handler of a registered nursery raises for the nursery named POISON (undo: ``.undo()``)."""
    original = RegistryProjection._handlers[Nursery.Registered]

    def failing(self, cur, e, position):
        if e.name == POISON:
            raise RuntimeError("the registry cannot apply this nursery")
        original(self, cur, e, position)

    patch = pytest.MonkeyPatch()
    patch.setitem(RegistryProjection._handlers, Nursery.Registered, failing)
    yield patch
    patch.undo()


def metric(client, name: str, read_model: str) -> float:
    text = client.get("/metrics").text
    found = re.search(rf'^{name}{{read_model="{read_model}",service="credential"}} (\S+)$', text, re.MULTILINE)
    assert found, f"{name} for {read_model} not in /metrics"
    return float(found.group(1))


def test_a_failing_projection_stalls_only_its_read_model_and_resumes_after_the_fix(
        credential_http, settings, poisoned, monkeypatch, capsys, caplog):
    client = credential_http
    app = client.app.state.service
    registrar, admin, auditor = issue(app, "registrar"), issue(app, "admin"), issue(app, "auditor")
    first = client.post("/v1/nurseries", json=nursery_body("朱泾一托"), headers=registrar)
    assert first.status_code == 201

    # The poison write: stored, so answered with success (202: its answer is read from the stalled registry).
    stored = client.post("/v1/nurseries", json=nursery_body(POISON), headers=registrar)
    assert stored.status_code == 202, stored.text
    body = stored.json()
    assert body["status"] == "recorded"
    assert body["unavailable"]["code"] == "read_model_stalled" and body["unavailable"]["read_model"] == "registry"
    (event,) = body["stored"]
    assert app.repository.get(UUID(event["aggregate_id"])).name == POISON  # the event is in the log
    failed_at = event["position"]

    # The stall is recorded for every replica, with where, what and why; and logged with the position and topic.
    (stall,) = app.stalled_read_models()
    assert (stall.read_model, stall.failed_position, stall.aggregate_id) == ("registry", failed_at, event["aggregate_id"])
    assert stall.topic == Nursery.Registered.TOPIC and stall.position < failed_at
    assert "RuntimeError: the registry cannot apply this nursery" in stall.error
    assert any(f"read model registry stalled at log position {failed_at}" in r.getMessage()
               and Nursery.Registered.TOPIC in r.getMessage() for r in caplog.records)

    # Reads of the stalled read model answer 503 naming it, never stale rows.
    listing = client.get("/v1/nurseries", headers=registrar)
    assert listing.status_code == 503
    assert (listing.json()["code"], listing.json()["read_model"]) == ("read_model_stalled", "registry")
    assert listing.json()["failed_position"] == failed_at
    assert client.get(f"/v1/nurseries/{first.json()['nursery_id']}", headers=registrar).status_code == 503

    # /ready is not ready and names it (no error text: it is public); for a load balancer the process is fine.
    ready = client.get("/ready")
    assert ready.status_code == 503 and ready.json()["code"] == "not_ready"
    assert [(s["read_model"], s["failed_position"]) for s in ready.json()["stalled_read_models"]] == [("registry", failed_at)]
    assert "RuntimeError" not in ready.text
    assert client.get("/ready", params={"scope": "process"}).status_code == 200
    assert metric(client, "carecred_read_model_stalled", "registry") == 1
    assert metric(client, "carecred_read_model_stalled_position", "registry") == failed_at
    assert metric(client, "carecred_read_model_stalled", "certification") == 0

    # The other read models keep advancing and answering: keys, policy, the audit index (which has the poison event).
    key = client.post("/v1/keys", json={"role": "auditor", "name": "during the stall"}, headers=admin)
    assert key.status_code == 201
    assert client.get("/v1/keys", headers={"Authorization": f"Bearer {key.json()['token']}"}).status_code == 200
    assert client.get("/v1/policy", headers=registrar).status_code == 200
    history = client.get(f"/v1/audit/aggregates/{event['aggregate_id']}/history", headers=auditor)
    assert history.status_code == 200 and history.json()["events"][0]["position"] == failed_at

    # Writes keep working: stored and answered 2xx, also those whose answer the stalled registry would give.
    later = client.post("/v1/nurseries", json=nursery_body("枫泾宝贝"), headers=registrar)
    assert later.status_code == 202 and later.json()["stored"][0]["topic"] == Nursery.Registered.TOPIC
    person = client.post("/v1/staff", json=staff_body("11010519491231002X"), headers=registrar)
    assert person.status_code == 202
    adopted = client.post("/v1/policy", json={"note": "again", "content": client.get(
        "/v1/policy", headers=registrar).json()["content"]}, headers=registrar)
    assert adopted.status_code == 201  # the certification read model is not stalled: the usual answer

    # Still failing with the bug in place: a resume fails on the same event and says so.
    assert app.projector.resume("registry").attempts == 2
    assert client.get("/v1/nurseries", headers=registrar).status_code == 503

    # The fix is deployed (the handler no longer raises); the operator resumes the read model.
    poisoned.undo()
    use_settings(monkeypatch, settings)
    assert main(["projections", "resume", "registry", "--service", "credential"]) == 0
    assert "registry: resumed" in capsys.readouterr().out

    names = sorted(n["name"] for n in client.get("/v1/nurseries", headers=registrar).json())
    assert names == sorted(["朱泾一托", POISON, "枫泾宝贝"])  # every nursery once: none lost, none doubled
    assert client.get(f"/v1/staff/{person.json()['stored'][0]['aggregate_id']}", headers=registrar).status_code == 200
    assert client.get("/ready").status_code == 200
    assert metric(client, "carecred_read_model_stalled", "registry") == 0
    assert app.stalled_read_models() == []
    assert replay(app).identical  # the read models are exactly what the log gives, built afresh


def test_a_stalled_read_model_kept_in_memory_is_never_served_from_memory(training_http, monkeypatch):
    """The catalogue is kept in memory by version (shared/cache.py): stalled, posting needs it and answers 503."""
    from services.training.domain.catalogue import Course
    from services.training.read_models.projections import CatalogueProjection
    from tests.integration.training_world import approve, learn_people

    client = training_http
    app = client.app.state.service
    provider = approve(app)
    (wang,) = learn_people(app, 1)
    key = issue(app, "provider", str(provider))
    body = {"event_id": "E1", "staff_id": wang, "course_code": "SK01", "completed_at": "2025-06-30T14:00:00+08:00",
            "class_hours": 8}
    assert client.post(f"/v1/providers/{provider}/completions", json=body, headers=key).status_code == 201

    original = CatalogueProjection._handlers[Course.Withdrawn]

    def failing(self, cur, e, position):
        raise KeyError("a bug in the catalogue's handler")

    monkeypatch.setitem(CatalogueProjection._handlers, Course.Withdrawn, failing)
    registrar = issue(app, "registrar")
    withdrawn = client.post(f"/v1/providers/{provider}/courses/SK02/withdrawal", json={"reason": "retired"},
                            headers=registrar)
    assert withdrawn.status_code == 202  # stored; the course's answer comes from the stalled catalogue

    # Posting checks completions against the catalogue: refused with 503 and nothing stored, never
    # checked against the catalogue kept in memory (which still shows SK02 as offered).
    before = app.recorder.max_notification_id()
    refused = client.post(f"/v1/providers/{provider}/completions", json={**body, "event_id": "E2", "course_code": "SK02"},
                          headers=key)
    assert refused.status_code == 503 and refused.json()["read_model"] == "catalogue"
    assert app.recorder.max_notification_id() == before
    # A person's year shows course titles from the catalogue: 503 too. The ledger and the keys go on: a
    # reversal is recorded and answered from the ledger.
    assert client.get(f"/v1/people/{wang}/training/2025", headers=registrar).json()["read_model"] == "catalogue"
    first = client.get(f"/v1/providers/{provider}/completions", headers=key)
    assert first.status_code == 503
    e1 = app.posting.completion_row(_completion_id(provider, "E1"))
    reversed_ = client.post(f"/v1/providers/{provider}/completions/{e1['completion_id']}/reversal",
                            json={"reason": "posted twice"}, headers=key)
    assert reversed_.status_code == 201 and reversed_.json()["reason"] == "posted twice"

    monkeypatch.setitem(CatalogueProjection._handlers, Course.Withdrawn, original)
    assert app.projector.resume("catalogue") is None
    refused_now = client.post(f"/v1/providers/{provider}/completions",
                              json={**body, "event_id": "E2", "course_code": "SK02"}, headers=key)
    assert refused_now.status_code == 422 and refused_now.json()["code"] == "course_withdrawn"  # the reloaded catalogue
    assert client.post(f"/v1/providers/{provider}/completions", json={**body, "event_id": "E3", "course_code": "SK03"},
                       headers=key).status_code == 201
    year = client.get(f"/v1/people/{wang}/training/2025", headers=registrar).json()
    assert [(e["event_id"], e["status"]) for e in year["entries"]] == [("E1", "reversed"), ("E3", "counted")]
    assert app.projector.position() == app.recorder.max_notification_id()


def _completion_id(provider, event_id: str) -> str:
    from services.training.domain.completion import completion_id_for
    return str(completion_id_for(provider, event_id))


def test_replicas_share_the_stall_and_apply_every_event_once(settings, monkeypatch):
    """Two processes over one database: one stalls the registry, the other sees it; a resume on either serves both."""
    from services.credential.application import Credentials
    from tests.integration.certification_world import REGISTRAR, nursery

    first, second = Credentials(settings), Credentials(settings)
    try:
        nursery(first, "朱泾一托")
        original = RegistryProjection._handlers[Nursery.Registered]

        def failing(self, cur, e, position):
            if e.name == POISON:
                raise ValueError("poison")
            original(self, cur, e, position)

        monkeypatch.setitem(RegistryProjection._handlers, Nursery.Registered, failing)
        from contracts.registry import NewNursery
        from shared.errors import ReadModelStalled
        with pytest.raises(ReadModelStalled):  # the service layer: stored, then its read-back is refused
            first.registry.register_nursery(NewNursery(name=POISON, town="朱泾镇", ownership="public", inclusive=True), REGISTRAR)
        with pytest.raises(ReadModelStalled):
            second.registry.nurseries()
        with pytest.raises(ReadModelStalled):
            second.registry.register_nursery(NewNursery(name="枫泾宝贝", town="枫泾镇", ownership="private", inclusive=False),
                                             REGISTRAR)
        assert second.list_keys() == []  # api_keys advanced past both events on the second replica
        monkeypatch.setitem(RegistryProjection._handlers, Nursery.Registered, original)
        assert second.projector.resume("registry") is None
        assert sorted(n.name for n in first.registry.nurseries()) == sorted(["朱泾一托", POISON, "枫泾宝贝"])
        assert first.projector.position() == second.projector.position() == first.recorder.max_notification_id()
    finally:
        first.close()
        second.close()


def test_a_follower_that_cannot_apply_a_page_makes_ready_say_so(credential_http, training_http, monkeypatch):
    """The training service's copy of who works where: a page it cannot apply is 'stalled', not 'down'."""
    credential, training = credential_http, training_http
    from services.training.read_models import registry_follower

    source, app = credential.app.state.service, training.app.state.service
    source.registry.register_staff(name="李丽", id_number="11010519491231002X", registered_by=None, actor={"role": "test"})
    follower = app.followers[0]
    key = issue(source, "service")
    monkeypatch.setattr(follower, "_fetch", lambda after: follower.decoder.decode(
        credential.get(f"/v1/feed?after={after}", headers=key).content))

    def cannot(*args, **kwargs):
        raise ValueError("a bug in the people read model")

    monkeypatch.setattr(registry_follower, "record_person", cannot)
    assert follower.attempt() is False
    ready = training.get("/ready")
    assert ready.status_code == 503 and ready.json()["followers"][0]["stalled"] is True
    assert training.get("/ready", params={"scope": "process"}).status_code == 200
    monkeypatch.undo()
    monkeypatch.setattr(follower, "_fetch", lambda after: follower.decoder.decode(
        credential.get(f"/v1/feed?after={after}", headers=key).content))
    assert follower.attempt() is True and follower.position() > 0
    assert training.get("/ready").status_code == 200


def test_with_the_key_read_model_stalled_every_keyed_request_answers_503_until_resumed(credential_http, monkeypatch):
    """Keys cannot be checked against a stalled key table (a revoked key might pass): 503, never a guess."""
    from shared.auth.keys import ApiKey
    from shared.auth.projection import ApiKeyProjection

    client = credential_http
    app = client.app.state.service
    registrar = issue(app, "registrar")
    original = ApiKeyProjection._handlers[ApiKey.Revoked]

    def failing(self, cur, e, position):
        raise RuntimeError("a bug in revoking")

    monkeypatch.setitem(ApiKeyProjection._handlers, ApiKey.Revoked, failing)
    from contracts.keys import Role
    key_id, token = app.issue_key(role=Role.AUDITOR, scope=None, name="leaving", actor={"role": "test"})
    doomed = {"Authorization": f"Bearer {token}"}
    app.revoke_key(UUID(key_id), reason="left", actor={"role": "test"})  # stored; the key table stalls on it
    answer = client.get("/v1/nurseries", headers=registrar)
    assert answer.status_code == 503 and answer.json()["read_model"] == "api_keys"
    assert client.get("/v1/keys", headers=doomed).status_code == 503  # not let in on a stale table
    assert client.get("/ready").status_code == 503 and client.get("/health").status_code == 200
    monkeypatch.setitem(ApiKeyProjection._handlers, ApiKey.Revoked, original)
    assert app.projector.resume("api_keys") is None
    assert client.get("/v1/keys", headers=doomed).status_code == 401
    assert client.get("/v1/nurseries", headers=registrar).status_code == 200
