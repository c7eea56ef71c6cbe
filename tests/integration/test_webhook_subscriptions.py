"""Webhook subscriptions: HR for its nursery, the registrar for the district; events, scopes, the
delivery log's visibility, and input refused with 422 naming the field; on both storages."""

from __future__ import annotations

import time
from uuid import UUID

import msgspec
import psycopg
import pytest
from litestar.testing import TestClient
from psycopg import sql

from services.credential.app import create_app
from shared.persistence import schema_name
from tests.conftest import issue
from tests.integration.badge_world import make_world
from tests.integration.certification_world import nursery
from tests.integration.notice_support import notice_settings, receiver, started, subscribe  # noqa: F401 - fixtures
from tests.integration.test_audit_grants import app_role, connect_as, migrated, owner_settings  # noqa: F401 - fixtures


def test_hr_of_one_nursery_cannot_see_or_touch_anothers_subscriptions_and_deliveries(notice_settings, receiver):
    with TestClient(create_app(notice_settings)) as client:
        app = started(client)
        world = make_world(app=app)
        ours, theirs = world.nursery_id, nursery(app, "枫泾宝贝", "枫泾镇")
        hr, other_hr = issue(app, "hr", ours), issue(app, "hr", theirs)
        made = subscribe(client, hr, receiver.url)
        sid = made["subscription"]["subscription_id"]
        badge = world.issue()
        client.post(f"/v1/badges/{badge.badge_id}/suspend", json={"reason": "lost"}, headers=hr)
        receiver.wait_for(lambda: len(receiver.accepted(made["secret"])) == 1)

        assert [d["subscription_id"] for d in client.get("/v1/webhooks/deliveries", headers=hr).json()] == [sid]
        assert client.get("/v1/webhooks/deliveries", headers=other_hr).json() == []
        assert client.get("/v1/webhooks", headers=other_hr).json() == []
        assert client.get(f"/v1/webhooks/{sid}", headers=other_hr).status_code == 404
        assert client.put(f"/v1/webhooks/{sid}", json={"url": receiver.url, "types": ["badge.revoked"]},
                          headers=other_hr).status_code == 404
        assert client.post(f"/v1/webhooks/{sid}/end", json={"reason": "x"}, headers=other_hr).status_code == 404
        assert client.post("/v1/webhooks", json={"url": receiver.url, "nursery_id": ours},
                           headers=other_hr).json()["code"] == "outside_scope"
        assert client.get(f"/v1/nurseries/{ours}/upcoming-notices", headers=other_hr).status_code == 403
        assert len(client.get("/v1/webhooks/deliveries", headers=issue(app, "auditor")).json()) == 1
        assert client.post("/v1/webhooks", json={"url": receiver.url}, headers=issue(app, "auditor")).status_code == 403


def test_changing_and_ending_a_subscription_are_events_and_an_ended_one_hears_nothing(notice_settings, receiver):
    with TestClient(create_app(notice_settings)) as client:
        app = started(client)
        world = make_world(app=app)
        hr = issue(app, "hr", world.nursery_id)
        made = subscribe(client, hr, receiver.url + "?old=1")
        sid = made["subscription"]["subscription_id"]
        changed = client.put(f"/v1/webhooks/{sid}", json={"url": receiver.url, "types": ["badge.suspended"]}, headers=hr)
        assert changed.status_code == 200 and changed.json()["types"] == ["badge.suspended"]
        assert changed.json()["url"] == receiver.url and changed.json()["changed_at"]
        refused = client.put(f"/v1/webhooks/{sid}", json={"url": "http://hooks.example.com/", "types": ["badge.suspended"]},
                             headers=hr)
        assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "url"
        again = client.put(f"/v1/webhooks/{sid}", json={"url": receiver.url, "types": ["badge.suspended"]}, headers=hr)
        assert again.status_code == 409 and again.json()["code"] == "subscription_unchanged"
        ended = client.post(f"/v1/webhooks/{sid}/end", json={"reason": "new system"}, headers=hr)
        assert ended.json()["status"] == "ended" and ended.json()["ended_at"]
        assert client.post(f"/v1/webhooks/{sid}/end", json={"reason": "x"}, headers=hr).json()["code"] == "subscription_ended"
        badge = world.issue()
        client.post(f"/v1/badges/{badge.badge_id}/suspend", json={"reason": "lost"}, headers=hr)
        time.sleep(0.5)
        assert receiver.requests == [] and client.get("/v1/webhooks/deliveries", headers=hr).json() == []
        events = list(app.repository.event_store.get(UUID(sid)))
        assert [type(e).__name__ for e in events] == ["Subscribed", "Changed", "Ended"]
        stored = b"".join(n.state for n in app.recorder.select_notifications(start=1, limit=10_000))
        assert made["secret"].encode() not in stored and made["secret"][6:].encode() not in stored  # never recorded


@pytest.mark.parametrize(("body", "field"), [
    ({"url": "http://hooks.example.com/carecred"}, "url"),  # not https (loopback only may be http)
    ({"url": "https://user:secret@hooks.example.com/x"}, "url"),
    ({"url": "https://hooks.example.com/" + "a" * 2000}, "url"),
    ({"url": "https://hooks.example.com/a\u202eb"}, "url"),
    ({"url": "https://10.1.2.3/hook"}, "url"),
    ({"url": "https://169.254.169.254/latest"}, "url"),
    ({"url": "ftp://hooks.example.com/x"}, "url"),
    ({"url": "https://hooks.example.com:99999/x"}, "url"),
    ({"url": "https://hooks.example.com/x", "types": ["certificate.lost"]}, "types[0]"),
    ({"url": "https://hooks.example.com/x", "types": []}, "types"),
    ({"url": "https://hooks.example.com/x", "types": ["badge.revoked", "badge.revoked"]}, "types"),
    ({"url": "https://hooks.example.com/x", "description": "a\x00b"}, "description"),
    ({"url": "https://hooks.example.com/x", "nursery_id": "not-a-nursery"}, "nursery_id"),
])
def test_bad_subscription_input_is_422_naming_the_field_and_records_nothing(credential_http, body, field):
    app = credential_http.app.state.service
    registrar = issue(app, "registrar")
    before = app.recorder.max_notification_id()
    response = credential_http.post("/v1/webhooks", json=body, headers=registrar)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert app.recorder.max_notification_id() == before


def test_loopback_is_refused_unless_the_setting_allows_it(credential_http):
    app = credential_http.app.state.service
    for url in ("http://127.0.0.1:9/hook", "https://localhost/hook", "https://[::1]/hook"):
        response = credential_http.post("/v1/webhooks", json={"url": url}, headers=issue(app, "registrar"))
        assert response.status_code == 422 and response.json()["errors"][0]["field"] == "url", url


@pytest.mark.postgres
def test_the_append_only_role_delivers_notices_and_cannot_rewrite_the_delivery_log(migrated, owner_settings, app_role,
                                                                                      receiver):
    settings = msgspec.structs.replace(migrated, webhook_allow_loopback_http=True, webhook_poll_seconds=0.1)
    with TestClient(create_app(settings)) as client:  # tables made by `db migrate`, none by the service
        app = started(client)
        world = make_world(app=app)
        hr = issue(app, "hr", world.nursery_id)
        secret = subscribe(client, hr, receiver.url)["secret"]
        badge = world.issue()
        client.post(f"/v1/badges/{badge.badge_id}/revoke", json={"reason": "left"}, headers=hr)
        receiver.wait_for(lambda: len(receiver.accepted(secret)) == 1)
    with connect_as(app_role) as conn:
        attempts = sql.Identifier(schema_name(owner_settings, "credential"), "webhook_attempts")
        assert conn.execute(sql.SQL("SELECT COUNT(*) FROM {}").format(attempts)).fetchone()[0] == 1
        for statement in (sql.SQL("UPDATE {} SET status_code = 200").format(attempts), sql.SQL("DELETE FROM {}").format(attempts)):
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied"):
                conn.execute(statement)
