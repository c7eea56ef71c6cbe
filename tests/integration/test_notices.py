"""Notices that reach people: signed deliveries (Standard Webhooks) of certificates falling due, training
short and badges revoked, the daily pass, retries and give-up, a restart mid-delivery; on both storages."""

from __future__ import annotations

import base64
import datetime as dt
import time

from litestar.testing import TestClient

from carecred.cli import main
from contracts.events.feed import FeedItem
from contracts.events.training import CompletionRecorded, TrainingFeedPage, YearTotals
from services.credential.app import create_app
from shared.district import today as district_today
from tests.audit_support import use_settings
from tests.conftest import drop_schemas, issue, make_settings
from tests.integration.badge_world import make_world
from tests.integration.certification_world import assign, certificate, nursery, person
from tests.integration.notice_support import (  # noqa: F401 - fixtures
    SYSTEM, notice_settings, receiver, start_receiver, started, subscribe,
)

DAY = dt.timedelta(days=1)


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

        assert app.notices.run_daily(on=today, actor=SYSTEM) == (today, 1)
        receiver.wait_for(lambda: len(receiver.accepted(secret)) == 1)
        assert app.notices.run_daily(on=today, actor=SYSTEM) == (today, 0)  # the same day again: nothing
        assert app.notices.run_daily(on=today + DAY, actor=SYSTEM) == (today + DAY, 0)  # still the 30-day notice
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
            app.notice_loop.stop()  # the process stops before the next attempt
            [pending] = app.notices.deliveries()
            assert pending.status == "pending"
            assert [(a.attempt, a.status_code) for a in pending.attempts] == [(1, 500)]
        assert receiver.accepted(secret) == []

        with TestClient(create_app(notice_settings)) as client:  # restarted: the outbox and its log are still there
            receiver.wait_for(lambda: len(receiver.accepted(secret)) == 1)
            time.sleep(0.6)  # later rounds and the restart's own daily pass send nothing more
            app = started(client)
            assert app.notices.run_daily(actor=SYSTEM)[1] == 0
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
    from services.credential.application.notice_delivery import Deliverer

    sent = Deliverer._send

    def send_then_die(self, row):
        sent(self, row)  # the receiver has it
        app.notice_loop._stop.set()  # the background loop ends with the process
        raise RuntimeError("killed after sending")

    with TestClient(create_app(notice_settings)) as client:
        app = started(client)
        world = make_world(app=app)
        hr = issue(app, "hr", world.nursery_id)
        secret = subscribe(client, hr, receiver.url, types=["badge.revoked"])["secret"]
        monkeypatch.setattr(Deliverer, "_send", send_then_die)
        client.post(f"/v1/badges/{world.issue().badge_id}/revoke", json={"reason": "left"}, headers=hr)
        receiver.wait_for(lambda: len(receiver.requests) == 1)
        [pending] = app.notices.deliveries()
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
            assert 'carecred_webhook_attempts_total{outcome="given_up"}' in client.get("/metrics").text
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
        notices = app.notices
        assert notices.upcoming(on=august, nursery_id=ours) == []  # the training feed not followed yet: no guess
        totals = YearTotals(year=august.year, skills_hours=80.0, ethics_hours=40.0, skills_required=72.0,
                            ethics_required=40.0)  # the training service's feed says complete (of 72/40)
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
