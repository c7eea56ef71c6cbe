"""An auditor reads everything recorded about one person, in order, each event with a proof that checks."""

from __future__ import annotations

import datetime as dt

from contracts.credentials import NewViolation
from contracts.keys import Role
from shared.audit.merkle import verify_inclusion
from tests.conftest import issue
from tests.integration.badge_world import make_world
from tests.integration.certification_world import REGISTRAR, assign, certificate, nursery
from tests.integration.test_as_recorded import post_training
from shared.district import today as district_today

TODAY = district_today()


def test_the_timeline_holds_every_aggregate_about_the_person_and_each_event_is_proven(credential_http):
    client, app = credential_http, credential_http.app.state.service
    world = make_world(app=app)  # 李娜, registered by 朱泾镇阳光托育园
    for cert_type in ("nursery_worker", "health"):
        certificate(app, world.staff_id, cert_type, TODAY - dt.timedelta(days=30), TODAY + dt.timedelta(days=300))
    assign(app, world.staff_id, world.nursery_id, "nursery_worker", TODAY - dt.timedelta(days=10))
    app.integrity.record_violation(NewViolation(staff_id=world.staff_id, what="体罚幼儿警告",
                                                occurred_on=TODAY - dt.timedelta(days=1), action="warning"), REGISTRAR)
    world.issue()
    other = nursery(app, "枫泾镇小太阳托育园", town="枫泾镇")
    asked = client.post("/v1/transfers", headers=issue(app, Role.HR, scope=other),
                        json={"staff_id": world.staff_id, "start_on": TODAY.isoformat()})
    assert asked.status_code in (200, 201), asked.text
    app.projector.catch_up()
    before_training = dt.datetime.now(dt.UTC)
    post_training(app, world.staff_id, 7, 24.0)

    auditor = issue(app, Role.AUDITOR)
    answer = client.get(f"/v1/audit/people/{world.staff_id}/timeline", headers=auditor)
    assert answer.status_code == 200, answer.text
    timeline = answer.json()
    kinds = [e["kind"] for e in timeline["entries"]]
    assert kinds[0] == "registration"
    assert {"registration", "certificate", "assignment", "integrity", "badge", "transfer", "training"} <= set(kinds)
    assert kinds.count("certificate") >= 2
    assert [e["recorded_at"] for e in timeline["entries"]] == sorted(e["recorded_at"] for e in timeline["entries"])
    assert "id_hash" not in answer.text
    (training,) = [e for e in timeline["entries"] if e["kind"] == "training"]
    assert training["source_position"] == 7 and "24 / 72 h skills" in training["summary"] and training["proof"] is None

    # Each event's proof: its leaf hash, folded with the path, gives the root of the signed tree.
    checkpoint = client.get("/v1/audit/checkpoint", headers=auditor).json()
    assert checkpoint["tree_size"] == timeline["tree_size"]
    for entry in (e for e in timeline["entries"] if e["kind"] != "training"):
        history = client.get(entry["event"], headers=auditor).json()
        assert any(h["position"] == entry["position"] and h["version"] == entry["version"] for h in history["events"])
        proof = client.get(entry["proof"], headers=auditor).json()
        assert verify_inclusion(bytes.fromhex(proof["leaf_hash"]), proof["leaf_index"], proof["tree_size"],
                                [bytes.fromhex(p) for p in proof["path"]], bytes.fromhex(checkpoint["root_hash"]))

    earlier = client.get(f"/v1/audit/people/{world.staff_id}/timeline",
                         params={"as_of": before_training.isoformat()}, headers=auditor).json()
    assert "training" not in [e["kind"] for e in earlier["entries"]]
    assert len(earlier["entries"]) == len(timeline["entries"]) - 1

    assert client.get(f"/v1/audit/people/{world.staff_id}/timeline", headers=issue(app, Role.REGISTRAR)).status_code == 200
    for role, scope in ((Role.HR, world.nursery_id), (Role.INSPECTOR, None)):
        assert client.get(f"/v1/audit/people/{world.staff_id}/timeline", headers=issue(app, role, scope)).status_code == 403


def test_inspection_findings_about_the_person_and_scans_of_their_badge_are_in_the_timeline(credential_http):
    from tests.integration.inspection_world import District

    client, app = credential_http, credential_http.app.state.service
    world = make_world(app=app)
    world.issue()
    app.badges.projector.catch_up()
    badge_id = app.store.query_one("SELECT badge_id FROM badges WHERE staff_id = ?", (world.staff_id,))["badge_id"]
    district = District(client=client, app=app, registrar=issue(app, Role.REGISTRAR), nurseries=[world.nursery_id])
    inspector = district.keys[district.add_inspector("王督导")]
    visit_id = client.post("/v1/inspections/visits", headers=inspector,
                           json={"nursery_id": world.nursery_id, "kind": "routine"}).json()["visit_id"]
    now = dt.datetime.now(dt.UTC).isoformat()
    scanned = client.post(f"/v1/inspections/visits/{visit_id}/scans", headers=inspector, json={"scans": [
        {"client_scan_id": "li-na", "scanned_at": now, "badge_id": badge_id},
        {"client_scan_id": "someone-else", "scanned_at": now, "qr": "HC1:not-a-badge"}]})
    assert scanned.status_code == 200, scanned.text
    finding = client.post(f"/v1/inspections/visits/{visit_id}/findings", headers=inspector, json={
        "kind": "lapsed_certificate", "staff_id": world.staff_id, "detail": "健康证过期",
        "due_on": (TODAY + dt.timedelta(days=14)).isoformat()})
    assert finding.status_code == 201, finding.text

    auditor = issue(app, Role.AUDITOR)
    timeline = client.get(f"/v1/audit/people/{world.staff_id}/timeline", headers=auditor).json()
    (scan,) = [e for e in timeline["entries"] if e["kind"] == "inspection_scan"]
    assert scan["originator_id"] == visit_id and scan["topic"].endswith("Visit.Scanned.v1")
    assert scan["body"]["badge_id"] == badge_id and "someone-else" not in str(timeline)  # only their own scan
    (found,) = [e for e in timeline["entries"] if e["kind"] == "finding"]
    assert found["originator_id"] == finding.json()["finding_id"] and "detail=健康证过期" in found["summary"]
    checkpoint = client.get("/v1/audit/checkpoint", headers=auditor).json()
    for entry in (scan, found):
        history = client.get(entry["event"], headers=auditor).json()
        assert any(h["position"] == entry["position"] for h in history["events"])
        proof = client.get(entry["proof"], headers=auditor).json()
        assert verify_inclusion(bytes.fromhex(proof["leaf_hash"]), proof["leaf_index"], proof["tree_size"],
                                [bytes.fromhex(p) for p in proof["path"]], bytes.fromhex(checkpoint["root_hash"]))
