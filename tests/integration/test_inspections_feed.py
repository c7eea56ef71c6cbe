"""Inspections on the credential feed: an auditor following it sees every inspector, visit, scan and finding in
recorded order by ids, kinds, verdicts and deadlines, and nothing private; the training service follows past them."""

from __future__ import annotations

import datetime as dt

import msgspec

from contracts.events.credential import (
    AssignmentEnded, FindingClosed, FindingConfirmed, FindingEscalated, InspectorConflictDeclared,
    InspectorDeactivated, InspectorReactivated, InspectorRegistered, ScanRecorded, StaffAssigned, StaffRegistered,
    VisitClosed, VisitOpened,
)
from contracts.keys import Role
from services.credential.application.common import today
from services.credential.read_models.feed import FEED_PAGE
from tests.conftest import issue
from tests.integration.badge_world import LI_NA
from tests.integration.certification_world import person
from tests.integration.inspection_world import badge_for, make_district

OTHER_ID_NUMBER = "110101199003074514"
PRIVATE = ("王督导", "赵督导", "金山区教育局督导室", "配偶在该园任职", "借调", "返岗", "李娜", "陈某某", "出示他人工作证",
           "在岗但不在花名册", "现场秩序良好", "已整改完毕", "仍未登记", LI_NA, OTHER_ID_NUMBER, "TY1:")
"""Names, units, reasons, details, notes, the ID numbers typed and the badge's QR text: none is on the feed."""


def a_season_of_inspection(client):
    """Inspectors registered, one conflicted, one away and back; a visit with two scans and two findings; a
    re-inspection that closes one and escalates the other. Returns what the feed should carry, in order."""
    district = make_district(client, towns=2)
    here, there = district.nurseries
    registrar = district.registrar
    wang = district.add_inspector("王督导")
    assert client.post(f"/v1/inspectors/{wang}/conflicts", headers=registrar,
                       json={"nursery_id": there, "reason": "配偶在该园任职"}).status_code == 201
    zhao = district.add_inspector("赵督导")
    for active, reason in ((False, "借调"), (True, "返岗")):
        assert client.post(f"/v1/inspectors/{zhao}/activity", headers=registrar,
                           json={"active": active, "reason": reason}).status_code == 200
    staff_id, qr = badge_for(district, here, id_number=LI_NA)

    key = district.keys[wang]
    visit = client.post("/v1/inspections/visits", headers=key, json={"nursery_id": here, "kind": "routine"}).json()
    at = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(seconds=30)
    scans = [{"client_scan_id": "dev1-0001", "scanned_at": at.isoformat(), "qr": qr, "device_verdict": "valid"},
             {"client_scan_id": "dev1-0002", "scanned_at": (at + dt.timedelta(seconds=20)).isoformat(), "qr": qr,
              "id_number": OTHER_ID_NUMBER}]
    assert client.post(f"/v1/inspections/visits/{visit['visit_id']}/scans", headers=key,
                       json={"scans": scans}).status_code == 200
    due, later = today() + dt.timedelta(days=14), today() + dt.timedelta(days=30)
    confirmed = [client.post(f"/v1/inspections/visits/{visit['visit_id']}/findings", headers=key, json=body).json()
                 for body in ({"kind": "holder_mismatch", "staff_id": staff_id, "detail": "出示他人工作证",
                               "due_on": due.isoformat()},
                              {"kind": "not_on_roster", "person_name": "陈某某", "detail": "在岗但不在花名册",
                               "due_on": due.isoformat()})]
    mismatch, unrostered = (f["finding_id"] for f in confirmed)
    assert client.post(f"/v1/inspections/visits/{visit['visit_id']}/close", headers=key,
                       json={"note": "现场秩序良好"}).status_code == 200
    again = client.post("/v1/inspections/visits", headers=key, json={
        "nursery_id": here, "kind": "reinspection", "finding_ids": [mismatch, unrostered]}).json()
    for finding_id, outcome in ((mismatch, {"outcome": "closed", "note": "已整改完毕"}),
                                (unrostered, {"outcome": "escalated", "note": "仍未登记", "due_on": later.isoformat()})):
        assert client.post(f"/v1/inspections/visits/{again['visit_id']}/findings/{finding_id}/outcome", headers=key,
                           json=outcome).status_code == 200
    assert client.post(f"/v1/inspections/visits/{again['visit_id']}/close", headers=key, json={}).status_code == 200

    v1, v2 = visit["visit_id"], again["visit_id"]
    return district, [
        InspectorRegistered(inspector_id=wang),
        InspectorConflictDeclared(inspector_id=wang, nursery_id=there),
        InspectorRegistered(inspector_id=zhao),
        InspectorDeactivated(inspector_id=zhao),
        InspectorReactivated(inspector_id=zhao),
        VisitOpened(visit_id=v1, inspector_id=wang, nursery_id=here, kind="routine"),
        ScanRecorded(visit_id=v1, scan_id="dev1-0001", scanned_at=at, badge_id=scans_badge(client, key, v1),
                     staff_id=staff_id, verdict="valid", holder_check="not_checked", status_stale=False,
                     device_verdict="valid"),
        ScanRecorded(visit_id=v1, scan_id="dev1-0002", scanned_at=at + dt.timedelta(seconds=20),
                     badge_id=scans_badge(client, key, v1), staff_id=staff_id, verdict="holder_mismatch",
                     holder_check="mismatch", status_stale=False),
        FindingConfirmed(finding_id=mismatch, visit_id=v1, nursery_id=here, inspector_id=wang, kind="holder_mismatch",
                         staff_id=staff_id, due_on=due),
        FindingConfirmed(finding_id=unrostered, visit_id=v1, nursery_id=here, inspector_id=wang, kind="not_on_roster",
                         due_on=due),
        VisitClosed(visit_id=v1, nursery_id=here),
        VisitOpened(visit_id=v2, inspector_id=wang, nursery_id=here, kind="reinspection",
                    finding_ids=[mismatch, unrostered]),
        FindingClosed(finding_id=mismatch, visit_id=v2, nursery_id=here),
        FindingEscalated(finding_id=unrostered, visit_id=v2, nursery_id=here, due_on=later),
        VisitClosed(visit_id=v2, nursery_id=here),
    ]


def scans_badge(client, key, visit_id) -> str:
    """The badge id the visit's scans recorded (both scans are of the same badge)."""
    (badge_id,) = {s["badge_id"] for s in client.get(f"/v1/inspections/visits/{visit_id}", headers=key).json()["scans"]}
    assert badge_id
    return badge_id


def test_an_auditor_following_the_feed_sees_a_visit_and_its_findings_in_order_and_nothing_private(credential_http):
    district, expected = a_season_of_inspection(credential_http)
    response = credential_http.get("/v1/feed?limit=1000", headers=issue(district.app, Role.AUDITOR))
    page = msgspec.json.decode(response.content, type=FEED_PAGE)
    registry_events = (StaffRegistered, StaffAssigned, AssignmentEnded)
    inspections = [item for item in page.items if not isinstance(item.event, registry_events)]
    assert [item.event for item in inspections] == expected
    positions = [item.position for item in inspections]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)
    assert [item.recorded_at for item in inspections] == sorted(item.recorded_at for item in inspections)

    # Each event carries exactly its public fields: a private one added later would fail here.
    fields = {item["event"]["type"]: set(item["event"]) - {"type"} for item in response.json()["items"]}
    assert fields["inspection.inspector-registered.v1"] == {"inspector_id"}
    assert fields["inspection.scan-recorded.v1"] == {
        "visit_id", "scan_id", "scanned_at", "badge_id", "staff_id", "verdict", "holder_check", "status_stale",
        "device_verdict"}
    assert fields["inspection.finding-confirmed.v1"] == {
        "finding_id", "visit_id", "nursery_id", "inspector_id", "kind", "staff_id", "due_on"}
    assert fields["inspection.visit-closed.v1"] == fields["inspection.finding-closed.v1"] - {"finding_id"} == {
        "visit_id", "nursery_id"}
    for private in PRIVATE:
        assert private not in response.text, private


def test_the_training_service_follows_past_the_inspection_events(credential_http, training_http, monkeypatch):
    district, expected = a_season_of_inspection(credential_http)
    credential, training = district.app, training_http.app.state.service
    follower = training.followers[0]
    feed_key = issue(credential, "service")
    monkeypatch.setattr(follower, "_fetch", lambda after: follower.decoder.decode(
        credential_http.get(f"/v1/feed?after={after}&limit=5", headers=feed_key).content))
    assert follower.attempt(), follower.error
    assert follower.position() == credential.publisher.head() and not follower.stalled
    assert follower.status().lag == 0

    # A person registered after the season: learned, so the follower did not stop at the inspection events.
    newcomer = person(credential, "吴新", district.nurseries[0])
    assert follower.attempt(), follower.error
    assert follower.position() == credential.publisher.head()
    known = {row["staff_id"] for row in training.store.query("SELECT staff_id FROM people")}
    assert newcomer in known and len(known) == 2
