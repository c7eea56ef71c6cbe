"""An inspector visits a nursery, scans badges (some offline, uploaded twice), confirms findings; HR rectifies;
a re-inspection closes them; the district's figures match a hand count."""

from __future__ import annotations

import datetime as dt

from contracts.keys import Role
from services.credential.application.common import today
from tests.conftest import issue
from tests.integration.badge_world import LI_NA
from tests.integration.certification_world import person
from tests.integration.inspection_world import badge_for, make_district


def test_offline_scans_uploaded_twice_are_recorded_once_with_their_scan_time(credential_http):
    district = make_district(credential_http, towns=2)
    wang = district.add_inspector("王督导")
    key = district.keys[wang]
    here = district.nurseries[0]
    _, qr = badge_for(district, here, id_number=LI_NA)
    visit = credential_http.post("/v1/inspections/visits", headers=key, json={"nursery_id": here, "kind": "routine"})
    assert visit.status_code == 201, visit.text
    visit_id = visit.json()["visit_id"]
    at = dt.datetime.now(dt.UTC).replace(microsecond=0)
    offline = [
        {"client_scan_id": "dev1-0001", "scanned_at": at.isoformat(), "qr": qr, "device_verdict": "status_unknown"},
        {"client_scan_id": "dev1-0002", "scanned_at": (at + dt.timedelta(seconds=40)).isoformat(), "qr": qr,
         "id_number": "110101199003074514"},
    ]
    first = credential_http.post(f"/v1/inspections/visits/{visit_id}/scans", headers=key, json={"scans": offline})
    assert first.status_code == 200, first.text
    assert first.json() == {"recorded": ["dev1-0001", "dev1-0002"], "already_recorded": []}
    again = credential_http.post(f"/v1/inspections/visits/{visit_id}/scans", headers=key, json={"scans": offline})
    assert again.json() == {"recorded": [], "already_recorded": ["dev1-0001", "dev1-0002"]}
    scans = credential_http.get(f"/v1/inspections/visits/{visit_id}", headers=key).json()["scans"]
    assert [s["client_scan_id"] for s in scans] == ["dev1-0001", "dev1-0002"]
    assert dt.datetime.fromisoformat(scans[0]["scanned_at"]) == at  # the device's time, not the upload's
    assert scans[0]["verdict"] == "valid" and scans[0]["device_verdict"] == "status_unknown"
    assert scans[1]["verdict"] == "holder_mismatch" and scans[1]["holder_check"] == "mismatch"

    # Another inspector's key sees no such visit; a scan from the future is refused, naming the field.
    zhao = district.add_inspector("赵督导")
    other = credential_http.post(f"/v1/inspections/visits/{visit_id}/scans", headers=district.keys[zhao], json={"scans": offline})
    assert other.status_code == 404
    future = credential_http.post(f"/v1/inspections/visits/{visit_id}/scans", headers=key, json={"scans": [
        {"client_scan_id": "dev1-0003", "scanned_at": (at + dt.timedelta(days=1)).isoformat(), "qr": qr}]})
    assert future.status_code == 422 and future.json()["errors"][0]["field"] == "scans[0].scanned_at"
    for bad, field in (({"client_scan_id": "dev1-0004", "scanned_at": at.isoformat()}, "scans[0].qr"),
                       ({"client_scan_id": "dev1 0004", "scanned_at": at.isoformat(), "qr": qr}, "client_scan_id"),
                       ({"client_scan_id": "dev1-0004", "scanned_at": at.isoformat(), "qr": qr,
                         "badge_id": "6f1c0e0a-0000-4000-8000-000000000001"}, "scans[0].badge_id")):
        refused = credential_http.post(f"/v1/inspections/visits/{visit_id}/scans", headers=key, json={"scans": [bad]})
        assert refused.status_code == 422 and field in refused.json()["errors"][0]["field"], refused.text
    assert len(credential_http.get(f"/v1/inspections/visits/{visit_id}", headers=key).json()["scans"]) == 2
    closed = credential_http.post(f"/v1/inspections/visits/{visit_id}/close", headers=key, json={})
    assert closed.status_code == 200 and closed.json()["closed_at"]
    late = credential_http.post(f"/v1/inspections/visits/{visit_id}/scans", headers=key, json={"scans": offline})
    assert late.status_code == 409 and late.json()["code"] == "visit_closed"


def test_a_finding_goes_through_its_deadline_re_inspection_and_closure(credential_http):
    district = make_district(credential_http, towns=2)
    wang = district.add_inspector("王督导")
    key = district.keys[wang]
    here, there = district.nurseries
    staff_id, qr = badge_for(district, here, id_number=LI_NA)
    hr_here, hr_there = issue(district.app, Role.HR, scope=here), issue(district.app, Role.HR, scope=there)
    visit_id = credential_http.post("/v1/inspections/visits", headers=key,
                                    json={"nursery_id": here, "kind": "routine"}).json()["visit_id"]
    now = dt.datetime.now(dt.UTC).isoformat()
    credential_http.post(f"/v1/inspections/visits/{visit_id}/scans", headers=key, json={"scans": [
        {"client_scan_id": "a1", "scanned_at": now, "qr": qr, "id_number": "110101199003074514"}]})
    proposed = credential_http.get(f"/v1/inspections/visits/{visit_id}/proposed-findings", headers=key).json()
    assert {"kind": "holder_mismatch", "staff_id": staff_id,
            "detail": proposed[0]["detail"]} in proposed

    due = today() + dt.timedelta(days=14)
    mismatch = credential_http.post(f"/v1/inspections/visits/{visit_id}/findings", headers=key, json={
        "kind": "holder_mismatch", "staff_id": staff_id, "detail": "出示他人工作证", "due_on": due.isoformat()})
    assert mismatch.status_code == 201, mismatch.text
    unrostered = credential_http.post(f"/v1/inspections/visits/{visit_id}/findings", headers=key, json={
        "kind": "not_on_roster", "person_name": "陈某", "detail": "在岗但不在花名册", "due_on": due.isoformat()})
    assert unrostered.status_code == 201, unrostered.text
    no_deadline = credential_http.post(f"/v1/inspections/visits/{visit_id}/findings", headers=key, json={
        "kind": "lapsed_certificate", "staff_id": staff_id, "detail": "x", "due_on": today().isoformat()})
    assert no_deadline.status_code == 422 and no_deadline.json()["errors"][0]["field"] == "due_on"
    # The holder mismatch is on the person's integrity record (a warning).
    profile = credential_http.get(f"/v1/staff/{staff_id}/profile", headers=district.registrar).json()
    assert any("holder_mismatch" in v["what"] for v in profile["integrity_record"]), profile

    # HR sees its own nursery's open findings; HR of another nursery sees none and may not ask.
    mine = credential_http.get("/v1/inspections/findings", headers=hr_here, params={"status": "unresolved"}).json()
    assert sorted(f["kind"] for f in mine) == ["holder_mismatch", "not_on_roster"]
    assert credential_http.get("/v1/inspections/findings", headers=hr_there).json() == []
    assert credential_http.get("/v1/inspections/findings", headers=hr_there, params={"nursery_id": here}).status_code == 403
    assert credential_http.get(f"/v1/inspections/findings/{mismatch.json()['finding_id']}", headers=hr_there).status_code == 404
    assert credential_http.get("/v1/inspections/visits", headers=hr_there).json() == []
    credential_http.post(f"/v1/inspections/visits/{visit_id}/close", headers=key, json={})

    # Re-inspection: one rectified (closed), the other not (escalated with a new deadline).
    ids = [mismatch.json()["finding_id"], unrostered.json()["finding_id"]]
    re_visit = credential_http.post("/v1/inspections/visits", headers=key,
                                    json={"nursery_id": here, "kind": "reinspection", "finding_ids": ids})
    assert re_visit.status_code == 201, re_visit.text
    rv = re_visit.json()["visit_id"]
    closed = credential_http.post(f"/v1/inspections/visits/{rv}/findings/{ids[0]}/outcome", headers=key,
                                  json={"outcome": "closed", "note": "已整改"})
    assert closed.status_code == 200 and closed.json()["status"] == "closed", closed.text
    later = today() + dt.timedelta(days=30)
    escalated = credential_http.post(f"/v1/inspections/visits/{rv}/findings/{ids[1]}/outcome", headers=key,
                                     json={"outcome": "escalated", "note": "仍未登记", "due_on": later.isoformat()})
    assert escalated.json()["status"] == "escalated" and escalated.json()["due_on"] == later.isoformat()
    twice = credential_http.post(f"/v1/inspections/visits/{rv}/findings/{ids[0]}/outcome", headers=key,
                                 json={"outcome": "closed", "note": "again"})
    assert twice.status_code == 409
    left = credential_http.get("/v1/inspections/findings", headers=hr_here, params={"status": "unresolved"}).json()
    assert [f["finding_id"] for f in left] == [ids[1]]
    credential_http.post(f"/v1/inspections/visits/{rv}/close", headers=key, json={})
    third = credential_http.post("/v1/inspections/visits", headers=key,
                                 json={"nursery_id": here, "kind": "reinspection", "finding_ids": [ids[1]]}).json()
    done = credential_http.post(f"/v1/inspections/visits/{third['visit_id']}/findings/{ids[1]}/outcome", headers=key,
                                json={"outcome": "closed", "note": "已登记"})
    assert done.json()["status"] == "closed" and done.json()["escalations"] == 1
    assert credential_http.get("/v1/inspections/findings", headers=hr_here, params={"status": "unresolved"}).json() == []


def test_the_district_figures_match_a_hand_count(credential_http):
    district = make_district(credential_http, towns=3)
    wang = district.add_inspector("王督导")
    key = district.keys[wang]
    a, b, c = district.nurseries
    seed = district.announce(today().strftime("%Y-%m"), count=1)
    pair = district.draw(today().strftime("%Y-%m"), seed)["rounds"][0]["pairs"][0]
    for nursery_id in (a, a, b):
        visit = credential_http.post("/v1/inspections/visits", headers=key, json={"nursery_id": nursery_id, "kind": "routine"})
        assert visit.status_code == 201
    random_visit = credential_http.post("/v1/inspections/visits", headers=key, json={
        "nursery_id": pair["nursery_id"], "kind": "random", "draw_month": today().strftime("%Y-%m")})
    assert random_visit.status_code == 201, random_visit.text
    not_drawn = next(n for n in district.nurseries if n != pair["nursery_id"])
    refused = credential_http.post("/v1/inspections/visits", headers=key, json={
        "nursery_id": not_drawn, "kind": "random", "draw_month": today().strftime("%Y-%m")})
    assert refused.status_code == 422 and refused.json()["code"] == "not_drawn"
    visit_id = random_visit.json()["visit_id"]
    staff_id = person(district.app, "周某", pair["nursery_id"])
    for kind in ("lapsed_certificate", "no_valid_badge"):
        assert credential_http.post(f"/v1/inspections/visits/{visit_id}/findings", headers=key, json={
            "kind": kind, "staff_id": staff_id, "detail": "现场发现",
            "due_on": (today() + dt.timedelta(days=7)).isoformat()}).status_code == 201

    figures = credential_http.get("/v1/district/figures", headers=district.registrar).json()["inspections"]
    per_nursery = {n["nursery_id"]: n["visits"] for n in figures["visits_per_nursery"]}
    expected = {a: 2, b: 1, c: 0}
    expected[pair["nursery_id"]] += 1
    assert per_nursery == expected
    assert figures["nurseries_below_required"] == sum(1 for v in expected.values() if v < 2)
    month = today().strftime("%Y-%m")
    assert figures["visits_per_month"] == {month: 4} and figures["random_checks_per_month"] == {month: 1}
    assert figures["open_findings"] == 2 and figures["overdue_findings"] == 0
    # As on a day next week's deadline has passed: both overdue.
    later = (today() + dt.timedelta(days=8)).isoformat()
    on_later = credential_http.get("/v1/district/figures", headers=district.registrar, params={"on": later}).json()
    assert on_later["inspections"]["overdue_findings"] == 2
    before = (today() - dt.timedelta(days=1)).isoformat()
    assert credential_http.get("/v1/district/figures", headers=district.registrar,
                               params={"on": before}).json()["inspections"]["open_findings"] == 0
