"""An inspector opens a visit on the scan page, scans badges with the network cut, and the queued scans upload
when it is back: each once, with the time it was scanned, however often the phone sends them."""

from __future__ import annotations

import datetime as dt

import pytest

from .conftest import shot, watch_console
from .test_scanner import PHONE, sign_in
from .world import WANG_FANG_ID
from shared.district import today as district_today

pytestmark = pytest.mark.browser


def scoped_inspector(district, world) -> str:
    """A registered inspector and a key scoped to them (as the registrar and the admin would, over HTTP)."""
    credential = district.processes["credential"]
    status, inspector = credential.request("POST", "/v1/inspectors", {"name": "王督导", "unit": "金山区教育局督导室"},
                                           world.tokens["registrar"])
    assert status == 201, inspector
    status, key = credential.request("POST", "/v1/keys", {"role": "inspector", "name": "王督导",
                                                          "scope": inspector["inspector_id"]}, world.tokens["admin"])
    assert status == 201, key
    return key["token"]


def test_an_offline_visit_queues_its_scans_and_uploads_each_once_when_back_online(district, world, launch):
    token = scoped_inspector(district, world)
    credential = district.processes["credential"]
    context = launch().new_context(**PHONE)
    page = context.new_page()
    problems = watch_console(page)
    page.goto(f"{district.url('credential')}/app/scan")
    page.wait_for_selector("#lists[data-ready=yes]")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=15000)
    sign_in(page, token)
    page.wait_for_selector("#visit-open")
    page.select_option("#visit-nursery-choice", world.nursery_id)
    page.click("#visit-open")
    page.wait_for_selector("#visit-pending[data-count='0']")
    visit_id = page.evaluate("JSON.parse(localStorage.getItem('carecred.visit')).visit_id")

    context.set_offline(True)
    before = dt.datetime.now(dt.UTC)
    page.fill("#qr-text", world.qr["valid"])
    page.click("#verify-text")
    page.wait_for_selector("#visit-pending[data-count='1']", timeout=20000)
    page.fill("#id-number", WANG_FANG_ID)  # someone else's ID card: 人证不符, on the device
    page.click("#verify-text")
    page.wait_for_selector("#visit-pending[data-count='2']", timeout=20000)
    assert page.get_attribute("#verdict", "data-verdict") == "holder_mismatch"
    page.reload()  # still offline: the visit and its queue survive
    page.wait_for_selector("#visit-pending[data-count='2']", timeout=20000)
    queued = page.evaluate("""() => new Promise((resolve) => {
        const open = indexedDB.open('carecred-visits', 1);
        open.onsuccess = () => { const all = open.result.transaction('scans').objectStore('scans').getAll();
                                 all.onsuccess = () => resolve(all.result); };
    })""")
    assert len(queued) == 2 and all(WANG_FANG_ID not in str(q) for q in queued)  # the ID number is never stored
    status, visit = credential.request("GET", f"/v1/inspections/visits/{visit_id}", None, token)
    assert status == 200 and visit["scans"] == []  # nothing reached the service yet
    shot(page, "visit-offline-queue")

    context.set_offline(False)  # back online: the queue uploads by itself
    page.wait_for_selector("#visit-pending[data-count='0']", timeout=40000)
    status, visit = credential.request("GET", f"/v1/inspections/visits/{visit_id}", None, token)
    scans = {s["client_scan_id"]: s for s in visit["scans"]}
    assert set(scans) == {q["client_scan_id"] for q in queued}
    for q in queued:
        recorded = scans[q["client_scan_id"]]
        assert dt.datetime.fromisoformat(recorded["scanned_at"]) == dt.datetime.fromisoformat(q["scanned_at"])
        assert before - dt.timedelta(seconds=5) <= dt.datetime.fromisoformat(recorded["scanned_at"])
        assert recorded["device_verdict"] == q["device_verdict"]
    assert sorted(s["device_verdict"] for s in scans.values()) == ["holder_mismatch", "valid"]

    # The phone lost the answer and sends the same scans again: recorded once.
    page.evaluate("""(scans) => new Promise((resolve) => {
        const open = indexedDB.open('carecred-visits', 1);
        open.onsuccess = () => { const t = open.result.transaction('scans', 'readwrite');
                                 scans.forEach((s) => t.objectStore('scans').put(s)); t.oncomplete = resolve; };
    })""", queued)
    page.click("#visit-upload")
    page.wait_for_selector("#visit-note >> text=2 already recorded", timeout=20000)
    status, visit = credential.request("GET", f"/v1/inspections/visits/{visit_id}", None, token)
    assert len(visit["scans"]) == 2
    page.click("#visit-close")
    page.wait_for_selector("#visit-closed")
    status, visit = credential.request("GET", f"/v1/inspections/visits/{visit_id}", None, token)
    assert visit["closed_at"] is not None
    assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems


def test_the_district_charts_visits_per_month_and_hr_sees_its_open_findings(district, world, launch):
    token = scoped_inspector(district, world)
    credential = district.processes["credential"]
    status, visit = credential.request("POST", "/v1/inspections/visits", {"nursery_id": world.nursery_id, "kind": "routine"},
                                       token)
    assert status == 201, visit
    due = (district_today() + dt.timedelta(days=14)).isoformat()
    status, finding = credential.request("POST", f"/v1/inspections/visits/{visit['visit_id']}/findings", {
        "kind": "not_on_roster", "person_name": "陈某", "detail": "在岗但不在花名册", "due_on": due}, token)
    assert status == 201, finding
    status, figures = credential.request("GET", "/v1/district/figures", None, world.tokens["registrar"])
    month = visit["opened_on"][:7]
    expected = figures["inspections"]["visits_per_month"][month]

    page = launch().new_context(viewport={"width": 1280, "height": 900}).new_page()
    problems = watch_console(page)
    page.goto(f"{district.url('credential')}/app/district")
    page.fill("#api-key", world.tokens["registrar"])
    page.click("form.login button[type=submit]")
    page.wait_for_selector("#visits-chart")
    assert page.get_attribute(f"#visits-chart rect.visits[data-month='{month}']", "data-value") == str(expected)
    assert page.inner_text("#open-findings") == str(figures["inspections"]["open_findings"])
    assert page.locator("#visits-chart rect.visits").count() == 12
    shot(page, "district-inspections")

    page = launch().new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{district.url('credential')}/app/hr")
    page.fill("#api-key", world.tokens["hr"])
    page.click("form.login button[type=submit]")
    page.wait_for_selector(f"#findings tr[data-finding='{finding['finding_id']}']")
    assert "陈某" in page.inner_text("#findings") and due in page.inner_text("#findings")
    status, own = credential.request("GET", f"/v1/inspections/visits?nursery_id={world.nursery_id}", None, world.tokens["hr"])
    assert page.inner_text("#visits-this-year") == str(len(own))
    shot(page, "hr-inspections")
    assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems
