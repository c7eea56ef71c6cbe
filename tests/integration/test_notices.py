"""Notices that reach people: webhook subscriptions, signed deliveries (Standard Webhooks), the daily
pass, retries across a restart, and the delivery log, on both storages."""

from __future__ import annotations

import base64
import datetime as dt
import time

import msgspec
import psycopg
import pytest
from litestar.testing import TestClient
from psycopg import sql

from services.credential.app import create_app
from services.credential.notices.service import district_today, notices_for
from contracts.events.feed import FeedItem
from contracts.events.training import CompletionRecorded, TrainingFeedPage, YearTotals
from carecred.cli import main
from tests.audit_support import use_settings
from tests.conftest import drop_schemas, issue, make_settings
from tests.integration.badge_world import make_world
from tests.integration.certification_world import assign, certificate, nursery, person
from shared.persistence import schema_name
from tests.integration.notice_receiver import start_receiver
from tests.integration.test_audit_grants import app_role, connect_as, migrated, owner_settings  # noqa: F401 - fixtures

DAY = dt.timedelta(days=1)
SYSTEM = {"key_id": None, "role": "test", "scope": None}


@pytest.fixture
def notice_settings(backend, tmp_path):
    """Loopback http allowed (the receiver is on this machine), quick retries and rounds."""
    settings = make_settings(backend, tmp_path, webhook_allow_loopback_http=True, webhook_retry_base_seconds=0.3,
                             webhook_retry_max_seconds=1.0, webhook_poll_seconds=0.1, webhook_timeout_seconds=5.0)
    yield settings
    if backend == "postgres":
        drop_schemas(settings.schema_prefix)


@pytest.fixture
def receiver():
    found, stop = start_receiver()
    yield found
    stop()


def started(client):
    """The app of a started client, once its background loop has done its first round (that day's pass)."""
    app = client.app.state.service
    deadline = time.monotonic() + 20
    while notices_for(app).rounds < 1:
        assert time.monotonic() < deadline, "the notice loop did not run"
        time.sleep(0.05)
    return app


def subscribe(client, headers, url, **body):
    response = client.post("/v1/webhooks", json={"url": url, **body}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def test_hr_hears_once_of_a_certificate_falling_due_signed_and_a_second_pass_sends_nothing(notice_settings, receiver):
    with TestClient(create_app(notice_settings)) as client:
        app = started(client)
        ours = nursery(app, "朱泾一托")
        li = person(app, "李丽", ours)
        today = district_today()
        health = certificate(app, li, "health", today - 300 * DAY, today + 20 * DAY)
        certificate(app, li, "infant_care", today - 300 * DAY, today + 700 * DAY)  # not due: no notice
        theirs = nursery(app, "枫泾宝贝", "枫泾镇")
        certificate(app, person(app, "赵敏", theirs), "health", today - 300 * DAY, today + 10 * DAY)  # another nursery's
        hr = issue(app, "hr", ours)
        made = subscribe(client, hr, receiver.url, description="HR office")
        secret = made["secret"]
        assert secret.startswith("whsec_") and len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
        assert made["subscription"]["nursery_id"] == ours and made["subscription"]["status"] == "active"

        upcoming = client.get(f"/v1/nurseries/{ours}/upcoming-notices", headers=hr).json()
        assert [(n["type"], n["data"]["certificate_id"], n["data"]["threshold_days"]) for n in upcoming] == [
            ("certificate.due", health, 30)]

        assert notices_for(app).run_daily(on=today, actor=SYSTEM) == (today, 1)
        receiver.wait_for(lambda: len(receiver.accepted(secret)) == 1)
        assert notices_for(app).run_daily(on=today, actor=SYSTEM) == (today, 0)  # the same day again: nothing
        assert notices_for(app).run_daily(on=today + DAY, actor=SYSTEM) == (today + DAY, 0)  # still the 30-day notice
        time.sleep(0.5)  # rounds of the background loop go by
        [(webhook_id, message)] = receiver.accepted(secret)
        assert len(receiver.requests) == 1 and receiver.requests[0].path == "/hooks/carecred"
        assert message["type"] == "certificate.due"
        assert message["data"]["certificate_id"] == health and message["data"]["nursery_id"] == ours
        assert (message["data"]["staff_id"], message["data"]["name"], message["data"]["days_left"]) == (li, "李丽", 20)

        [delivery] = client.get("/v1/webhooks/deliveries", headers=hr).json()
        assert (delivery["webhook_id"], delivery["status"], delivery["type"]) == (webhook_id, "delivered", "certificate.due")
        assert [(a["attempt"], a["status_code"]) for a in delivery["attempts"]] == [(1, 204)]


def test_a_revoked_badge_reaches_the_receiver_once_after_a_500_and_a_restart(notice_settings):
    receiver, stop = start_receiver(fail_first=1)
    try:
        with TestClient(create_app(notice_settings)) as client:
            app = started(client)
            world = make_world(app=app)
            hr = issue(app, "hr", world.nursery_id)
            secret = subscribe(client, hr, receiver.url, types=["badge.revoked", "badge.suspended"])["secret"]
            badge = world.issue()
            revoked = client.post(f"/v1/badges/{badge.badge_id}/revoke", json={"reason": "left the nursery"},
                                  headers=issue(app, "registrar"))
            assert revoked.status_code == 200
            receiver.wait_for(lambda: len(receiver.requests) == 1)  # answered 500
            notices = notices_for(app)
            notices.stop()  # the process stops before the next attempt
            [pending] = notices.deliveries()
            assert pending.status == "pending"
            assert [(a.attempt, a.status_code) for a in pending.attempts] == [(1, 500)]
        assert receiver.accepted(secret) == []

        with TestClient(create_app(notice_settings)) as client:  # restarted: the outbox and its log are still there
            receiver.wait_for(lambda: len(receiver.accepted(secret)) == 1)
            time.sleep(0.6)  # later rounds and the restart's own daily pass send nothing more
            app = started(client)
            assert notices_for(app).run_daily(actor=SYSTEM)[1] == 0
            [(webhook_id, message)] = receiver.accepted(secret)
            assert [r.headers["webhook-id"] for r in receiver.requests] == [webhook_id, webhook_id]
            assert message["type"] == "badge.revoked"
            assert (message["data"]["badge_id"], message["data"]["reason"]) == (str(badge.badge_id), "left the nursery")
            [delivery] = client.get("/v1/webhooks/deliveries", headers=issue(app, "auditor")).json()
            assert delivery["status"] == "delivered"
            assert [(a["attempt"], a["status_code"]) for a in delivery["attempts"]] == [(1, 500), (2, 204)]
    finally:
        stop()


def test_a_process_that_dies_between_sending_and_recording_sends_again_with_the_same_id(notice_settings, receiver,
                                                                                         monkeypatch):
    """At least once: the receiver got it, the process died before the attempt was recorded; after the restart the
    notice goes again under the same webhook-id, so a receiver that dedupes on it has it once."""
    from services.credential.notices.delivery import Deliverer

    sent = Deliverer._send

    def send_then_die(self, row):
        answer = sent(self, row)
        notices_for(app)._stop.set()  # the background loop ends with the process
        raise RuntimeError("killed after sending")

    with TestClient(create_app(notice_settings)) as client:
        app = started(client)
        world = make_world(app=app)
        hr = issue(app, "hr", world.nursery_id)
        secret = subscribe(client, hr, receiver.url, types=["badge.revoked"])["secret"]
        monkeypatch.setattr(Deliverer, "_send", send_then_die)
        client.post(f"/v1/badges/{world.issue().badge_id}/revoke", json={"reason": "left"}, headers=hr)
        receiver.wait_for(lambda: len(receiver.requests) == 1)
        [pending] = notices_for(app).deliveries()
        assert (pending.status, pending.attempts) == ("pending", [])  # nothing recorded: it died first
    monkeypatch.setattr(Deliverer, "_send", sent)
    with TestClient(create_app(notice_settings)) as client:
        app = started(client)
        receiver.wait_for(lambda: len(receiver.requests) == 2)
        time.sleep(0.5)
        accepted = receiver.accepted(secret)
        assert len(accepted) == 2 and len({webhook_id for webhook_id, _ in accepted}) == 1  # one notice, deduped by id
        [delivery] = client.get("/v1/webhooks/deliveries", headers=hr).json()
        assert delivery["status"] == "delivered" and [a["status_code"] for a in delivery["attempts"]] == [204]


def test_a_receiver_that_keeps_failing_is_retried_with_growing_waits_then_given_up(backend, tmp_path):
    settings = make_settings(backend, tmp_path, webhook_allow_loopback_http=True, webhook_retry_base_seconds=0.2,
                             webhook_retry_max_seconds=0.4, webhook_poll_seconds=0.05, webhook_max_attempts=4)
    receiver, stop = start_receiver(fail_first=100)
    try:
        with TestClient(create_app(settings)) as client:
            app = started(client)
            world = make_world(app=app)
            hr = issue(app, "hr", world.nursery_id)
            subscribe(client, hr, receiver.url, types=["badge.suspended"])
            client.post(f"/v1/badges/{world.issue().badge_id}/suspend", json={"reason": "lost"}, headers=hr)
            receiver.wait_for(lambda: len(receiver.requests) == 4)
            time.sleep(1.0)  # well past the last wait: no fifth attempt
            assert len(receiver.requests) == 4
            [delivery] = client.get("/v1/webhooks/deliveries", headers=hr).json()
            assert (delivery["status"], delivery["next_attempt_at"]) == ("failed", None)
            assert [(a["attempt"], a["status_code"]) for a in delivery["attempts"]] == [(n, 500) for n in range(1, 5)]
            at = [dt.datetime.fromisoformat(a["at"]) for a in delivery["attempts"]]
            waits = [(b - a).total_seconds() for a, b in zip(at, at[1:])]
            assert waits[0] >= 0.2 and waits[1] >= 0.4 and waits[2] >= 0.4  # doubled, then capped
    finally:
        stop()
    if backend == "postgres":
        drop_schemas(settings.schema_prefix)


def test_training_short_from_the_third_quarter_once_a_quarter(notice_settings, receiver):
    with TestClient(create_app(notice_settings)) as client:
        app = started(client)
        ours = nursery(app, "亭林宝贝")
        august = dt.date(district_today().year - 1, 8, 3)
        short, done = person(app, "王芳", ours), person(app, "陈静", ours)
        for who in (short, done):
            certificate(app, who, "infant_care", august - 60 * DAY, august + 700 * DAY)
            certificate(app, who, "health", august - 60 * DAY, august + 300 * DAY)
            assign(app, who, ours, "infant_caregiver", august - 30 * DAY)
        notices = notices_for(app)
        assert notices.upcoming(on=august, nursery_id=ours) == []  # the training feed not followed yet: no guess
        totals = YearTotals(year=august.year, skills_hours=80.0, ethics_hours=40.0)  # the training service's feed says complete
        completion = CompletionRecorded(completion_id="c1", staff_id=done, provider_id="p", course_code="SK-1",
                                        category="skills", hours=80.0, completed_on=august, counted=True, totals=totals)
        page = TrainingFeedPage(items=[FeedItem(position=1, recorded_at=dt.datetime.now(dt.UTC), event=completion)],
                                next_after=1, head=1)
        app.followers[0]._apply_page(0, page)  # as the follower applies a page it fetched
        secret = subscribe(client, issue(app, "registrar"), receiver.url, types=["training.short"])["secret"]

        assert notices.upcoming(on=august.replace(month=6, day=30), nursery_id=ours) == []  # first half: nothing yet
        assert notices.run_daily(on=august, actor=SYSTEM) == (august, 1)
        assert notices.run_daily(on=august + 30 * DAY, actor=SYSTEM) == (august + 30 * DAY, 0)  # same quarter
        assert notices.run_daily(on=august.replace(month=10, day=8), actor=SYSTEM)[1] == 1  # the fourth quarter
        receiver.wait_for(lambda: len(receiver.accepted(secret)) == 2)
        messages = [m for _, m in receiver.accepted(secret)]
        assert {(m["data"]["staff_id"], m["data"]["quarter"]) for m in messages} == {(short, 3), (short, 4)}
        assert messages[0]["data"]["skills_shortfall"] == 72.0 and messages[0]["data"]["ethics_shortfall"] == 40.0


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
        from uuid import UUID
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


def test_the_daily_pass_from_the_command_line_sends_once(notice_settings, receiver, monkeypatch, capsys):
    with TestClient(create_app(notice_settings)) as client:
        app = started(client)
        ours = nursery(app, "吕巷小苗")
        today = district_today()
        certificate(app, person(app, "周敏", ours), "health", today - 300 * DAY, today + 55 * DAY)
        secret = subscribe(client, issue(app, "hr", ours), receiver.url)["secret"]
    use_settings(monkeypatch, notice_settings)
    assert main(["notices", "run-daily", "--on", today.isoformat()]) == 0
    assert capsys.readouterr().out == f"{today}: 1 notice(s) raised\n"
    assert main(["notices", "run-daily", "--on", today.isoformat()]) == 0
    assert capsys.readouterr().out == f"{today}: nothing new (every notice due was sent already)\n"
    assert main(["notices", "deliver"]) == 0
    assert capsys.readouterr().out == "1 delivery attempt(s)\n"
    assert main(["notices", "deliver"]) == 0
    assert capsys.readouterr().out == "0 delivery attempt(s)\n"
    [(_, message)] = receiver.accepted(secret)
    assert (message["type"], message["data"]["threshold_days"], message["data"]["name"]) == ("certificate.due", 60, "周敏")
