"""Providers register trainers and schedule sessions; offline attendance is taken by badge scans.

A trainer's own professional training (at least one a year) is tracked and shown; a
completion may name its session, mode and trainer, each checked against the provider's own;
at an offline session the trainer scans each attendee's badge at sign-in and sign-out, and
the completion rests on that attendance. Every new event replays and has its audit proof.
"""

from __future__ import annotations

import base64
import datetime as dt

import pytest

from shared.audit.replay import replay
from shared.district import today
from tests.audit_support import audit_settings  # noqa: F401
from tests.conftest import issue
from tests.integration.test_audit_proofs import mth, rfc_leaf, unhex, verify_inclusion
from tests.integration.training_world import NURSERY, approve, learn_people

TODAY = today()
YESTERDAY = TODAY - dt.timedelta(days=1)
MORNING = f"{YESTERDAY.isoformat()}T09:00:00+08:00"
EVENING = f"{YESTERDAY.isoformat()}T17:00:00+08:00"
BADGE = "HC1:6BFOXN%TS3DH0YOJ58S S-W5HDC *M0II5XHC9B5G2+$N IOP-IA%NFQGRJPC%OQHIZC4.OI1RM8ZA.A5:S9MKN4NN3F85QNCY0O%0VZ001HOC9JU0D0HT0HB2PL/IB*09B9LW4T*8+DCMH0LDK2%K:XFE70*LP$V25$0Q:J:4MO1P0%0L0HD+9E/HY+4J6TH48S%4K.GJ2PT3QY:GQ3TE2I+-CPHN6D7LLK*Y0ZJCP:P7MN$$B8FI28LDMH*QE%SBM5HQ0CQW1M:DW:Q2Y3EXQW*W-+Q/5VSAO2TDUB0V4A5N/X7H3T.KN3E2HHN8YEMNAV.QF*4JO8A2"


@pytest.fixture
def world(audit_settings):  # noqa: F811
    """SOU and a second provider, three people, a trainer at each provider, keys for each role."""
    from litestar.testing import TestClient

    from services.training.app import create_app

    with TestClient(create_app(audit_settings)) as client:
        app = client.app.state.service
        sou, other = approve(app), approve(app, code="JSVC", name="金山区职业技术学校")
        people = learn_people(app, 3)
        keys = {"sou_key": issue(app, "provider", str(sou)), "other_key": issue(app, "provider", str(other)),
                "registrar": issue(app, "registrar"), "auditor": issue(app, "auditor"),
                "hr": issue(app, "hr", NURSERY)}
        for provider, key in ((sou, "sou_key"), (other, "other_key")):
            made = client.post(f"/v1/providers/{provider}/trainers", json={"code": "T1", "name": "张老师"},
                               headers=keys[key])
            assert made.status_code == 201, made.text
        yield client, {"sou": str(sou), "other": str(other), "people": people, **keys}


def field_of(response) -> str:
    return response.json()["errors"][0]["field"]


def schedule(client, w, code="S1", mode="offline", course="SK01", trainer="T1", provider="sou", key="sou_key",
             starts_on=None, ends_on=None):
    return client.post(f"/v1/providers/{w[provider]}/sessions", headers=w[key], json={
        "code": code, "course_code": course, "mode": mode, "trainer_code": trainer,
        "starts_on": (starts_on or YESTERDAY).isoformat(), "ends_on": (ends_on or TODAY).isoformat()})


def scan(client, w, person, direction, at, session="S1", trainer="T1", verdict="valid", key="sou_key", provider="sou"):
    return client.post(f"/v1/providers/{w[provider]}/sessions/{session}/attendance", headers=w[key], json={
        "direction": direction, "staff_id": person, "trainer_code": trainer, "scanned_at": at, "badge": BADGE,
        "verdict": verdict})


def complete(client, w, person, event_id="E1", key="sou_key", provider="sou", **extra):
    return client.post(f"/v1/providers/{w[provider]}/completions", headers=w[key], json={
        "event_id": event_id, "staff_id": person, "course_code": "SK01", "completed_at": EVENING,
        "class_hours": 8, **extra})


def test_a_trainers_own_yearly_training_is_tracked_and_shown(world):
    client, w = world
    url = f"/v1/providers/{w['sou']}/trainers/T1"
    before = client.get(url, headers=w["registrar"]).json()
    assert before["trained_this_year"] is False
    assert before["years"][-1] == {"year": TODAY.year, "trainings": 0, "meets_plan": False}
    training = {"title": "托育服务培训师资研修", "organiser": "上海开放大学", "completed_on": YESTERDAY.isoformat(),
                "class_hours": 16}
    assert client.post(f"{url}/trainings", json=training, headers=w["other_key"]).status_code == 403
    recorded = client.post(f"{url}/trainings", json=training, headers=w["sou_key"])
    assert recorded.status_code == 201, recorded.text
    shown = recorded.json()
    assert shown["trained_this_year"] is True
    assert shown["years"][-1] == {"year": TODAY.year, "trainings": 1, "meets_plan": True}
    assert shown["trainings"][0]["class_hours"] == 16
    assert client.post(f"{url}/trainings", json=training, headers=w["sou_key"]).status_code == 409
    future = client.post(f"{url}/trainings", headers=w["sou_key"],
                         json={**training, "completed_on": (TODAY + dt.timedelta(days=2)).isoformat()})
    assert future.status_code == 422 and field_of(future) == "completed_on"
    listed = client.get(f"/v1/providers/{w['sou']}/trainers", headers=w["auditor"]).json()
    assert [(t["code"], t["trained_this_year"]) for t in listed] == [("T1", True)]
    assert client.get(f"/v1/providers/{w['sou']}/trainers", headers=w["other_key"]).status_code == 403
    assert client.post(f"/v1/providers/{w['sou']}/trainers", json={"code": "T1", "name": "李老师"},
                       headers=w["sou_key"]).status_code == 409


def test_a_completion_names_its_online_session_mode_and_trainer(world):
    client, w = world
    wang = w["people"][0]
    assert schedule(client, w, code="ON1", mode="online").status_code == 201
    made = complete(client, w, wang, session_code="ON1", mode="online", trainer_code="T1")
    assert made.status_code == 201, made.text
    result = made.json()
    assert (result["session_code"], result["mode"], result["attendance_id"]) == ("ON1", "online", None)
    assert result["trainer_id"] == client.get(f"/v1/providers/{w['sou']}/trainers/T1", headers=w["sou_key"]).json()["trainer_id"]
    assert complete(client, w, wang, session_code="ON1", mode="online", trainer_code="T1").status_code == 200
    changed = complete(client, w, wang, mode="offline")
    assert changed.status_code == 409 and "session_code" in changed.json()["differs"]
    year = client.get(f"/v1/people/{wang}/training/{YESTERDAY.year}", headers=w["hr"]).json()
    assert [(e["session_code"], e["mode"]) for e in year["entries"]] == [("ON1", "online")]


def test_an_offline_session_takes_attendance_by_badge_scan_in_and_out(world):
    client, w = world
    wang, li, _ = w["people"]
    assert schedule(client, w).status_code == 201
    early = complete(client, w, wang, session_code="S1")
    assert early.status_code == 422 and field_of(early) == "session_code"
    assert early.json()["code"] == "no_attendance"
    assert scan(client, w, wang, "out", EVENING).json()["code"] == "not_signed_in"
    signed_in = scan(client, w, wang, "in", MORNING)
    assert signed_in.status_code == 201 and signed_in.json()["complete"] is False
    assert scan(client, w, wang, "in", MORNING).status_code == 200  # the same scan sent again
    assert scan(client, w, wang, "in", EVENING).status_code == 409
    refused = scan(client, w, li, "in", MORNING, verdict="revoked")
    assert refused.status_code == 422 and field_of(refused) == "verdict"
    assert field_of(scan(client, w, li, "in", MORNING, trainer="T2")) == "trainer_code"
    outside = scan(client, w, li, "in", f"{(YESTERDAY - dt.timedelta(days=3)).isoformat()}T09:00:00+08:00")
    assert outside.status_code == 422 and field_of(outside) == "scanned_at"
    assert scan(client, w, wang, "in", MORNING, key="other_key").status_code == 403
    half = complete(client, w, wang, session_code="S1")
    assert half.status_code == 422 and half.json()["code"] == "no_attendance"  # signed in, not yet out
    signed_out = scan(client, w, wang, "out", EVENING)
    assert signed_out.status_code == 201 and signed_out.json()["complete"] is True
    made = complete(client, w, wang, session_code="S1")
    assert made.status_code == 201, made.text
    assert made.json()["mode"] == "offline" and made.json()["attendance_id"] == signed_out.json()["attendance_id"]
    listed = client.get(f"/v1/providers/{w['sou']}/sessions/S1/attendance", headers=w["registrar"]).json()
    assert [(a["staff_id"], a["complete"]) for a in listed] == [(wang, True)]
    nobody = complete(client, w, li, event_id="E2", session_code="S1")
    assert nobody.status_code == 422 and nobody.json()["code"] == "no_attendance"


def test_a_completion_may_not_name_another_providers_session_nor_a_session_of_another_course(world):
    client, w = world
    wang = w["people"][0]
    assert schedule(client, w, code="X1", provider="other", key="other_key", mode="online").status_code == 201
    assert schedule(client, w, code="ON1", mode="online").status_code == 201
    assert schedule(client, w, code="ET", mode="online", course="ET01").status_code == 201
    for extra, field, code in (
        ({"session_code": "X1"}, "session_code", "unknown_session"),
        ({"session_code": "ET"}, "session_code", "session_course_mismatch"),
        ({"session_code": "ON1", "mode": "offline"}, "mode", "mode_mismatch"),
        ({"trainer_code": "NOBODY"}, "trainer_code", "unknown_trainer"),
    ):
        refused = complete(client, w, wang, **extra)
        assert (refused.status_code, field_of(refused), refused.json()["code"]) == (422, field, code), extra
    assert client.get(f"/v1/providers/{w['sou']}/completions", headers=w["sou_key"]).json()["items"] == []
    bad = schedule(client, w, code="S9", trainer="NOBODY")
    assert bad.status_code == 422 and field_of(bad) == "trainer_code"
    assert field_of(schedule(client, w, code="S9", course="NOPE")) == "course_code"
    backwards = schedule(client, w, code="S9", starts_on=TODAY, ends_on=YESTERDAY)
    assert backwards.status_code == 422 and field_of(backwards) == "ends_on"
    assert schedule(client, w, code="ON1").status_code == 409
    assert schedule(client, w, code="S9", key="other_key").status_code == 403


def test_trainers_sessions_and_attendance_replay_and_have_audit_proofs(world):
    client, w = world
    wang = w["people"][0]
    client.post(f"/v1/providers/{w['sou']}/trainers/T1/trainings", headers=w["sou_key"], json={
        "title": "师资研修", "organiser": "上海开放大学", "completed_on": YESTERDAY.isoformat(), "class_hours": 8})
    schedule(client, w)
    scan(client, w, wang, "in", MORNING)
    scan(client, w, wang, "out", EVENING)
    assert complete(client, w, wang, session_code="S1").status_code == 201
    app = client.app.state.service
    report = replay(app)
    assert report.identical, report
    lines = [__import__("json").loads(x) for x in client.get("/v1/audit/export", headers=w["auditor"]).text.splitlines()]
    leaves = [rfc_leaf(x["position"], x["aggregate_id"], x["version"], x["topic"], base64.b64decode(x["state"]))
              for x in lines]
    topics = {x["topic"].rsplit(":", 1)[-1] for x in lines}
    assert {"Trainer.Registered.v1", "Trainer.Trained.v1", "Session.Scheduled.v1", "Attendance.SignedIn.v1",
            "Attendance.SignedOut.v1", "Completion.Delivered.v1"} <= topics
    size = len(leaves)
    for index, line in enumerate(lines):
        if line["topic"].rsplit(":", 1)[-1].split(".")[0] in ("Trainer", "Session", "Attendance") or \
                line["topic"].endswith("Delivered.v1"):
            proof = client.get("/v1/audit/proofs/inclusion", headers=w["auditor"],
                               params={"position": line["position"], "tree_size": size}).json()
            assert verify_inclusion(index, size, leaves[index], unhex(proof["path"]), mth(leaves))
