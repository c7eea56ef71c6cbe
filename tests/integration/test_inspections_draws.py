"""The registrar announces a month's 双随机 draw, draws it, and anyone recomputes it from the published inputs."""

from __future__ import annotations

import datetime as dt
import hashlib

import msgspec

from carecred.cli import main
from carecred.cli_inspections import round_problems
from contracts.events.credential import InspectionDrawAnnounced, InspectionDrawn
from contracts.inspections import DrawView
from contracts.keys import Role
from services.credential.domain.inspection_draw_rules import DrawInputs, draw_pairs
from services.credential.read_models.feed import FEED_PAGE
from tests.audit_support import use_settings
from tests.conftest import issue
from tests.integration.inspection_world import beacon_day, make_district, on_beacon_day


def test_a_month_is_drawn_from_its_announced_inputs_and_re_verified_by_anyone(credential_http, settings, monkeypatch, capsys):
    district = make_district(credential_http, towns=6)
    wang, zhao, sun = (district.add_inspector(n) for n in ("王督导", "赵督导", "孙督导"))
    conflicted = district.nurseries[0]
    assert credential_http.post(f"/v1/inspectors/{wang}/conflicts", headers=district.registrar,
                                json={"nursery_id": conflicted, "reason": "配偶在该园任职"}).status_code == 201
    assert credential_http.post(f"/v1/inspectors/{sun}/activity", headers=district.registrar,
                                json={"active": False, "reason": "借调"}).json()["active"] is False

    # All six drawn in order, each with one of two inspectors: some 23,000 outcomes (the nursery ids are new each run),
    # so that another beacon value giving the very same draw below is a one-in-23,000 accident.
    seed = district.announce("2027-01", count=6)
    announced = credential_http.get("/v1/inspections/draws/2027-01", headers=issue(district.app, Role.AUDITOR)).json()
    first = announced["rounds"][0]
    assert first["seed"] is None and first["pairs"] is None  # nothing to see before the draw
    assert first["inspectors"] == sorted([wang, zhao]) and [wang, conflicted] in first["conflicts"]

    early = credential_http.post("/v1/inspections/draws/2027-01/draw", headers=district.registrar,
                                 json={"seed": seed, "beacon": "3 7 1"})
    assert early.status_code == 409 and early.json()["code"] == "beacon_not_published"
    with on_beacon_day():
        wrong = credential_http.post("/v1/inspections/draws/2027-01/draw", headers=district.registrar,
                                     json={"seed": "0" * 64, "beacon": "3 7 1"})
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "seed"

    drawn = district.draw("2027-01", seed)["rounds"][0]
    pairs = [(p["nursery_id"], p["inspector_id"]) for p in drawn["pairs"]]
    assert len(pairs) == 6 and len({n for n, _ in pairs}) == 6
    assert (conflicted, wang) not in pairs and all(i != sun for _, i in pairs)
    assert drawn["log_root"] == district.app.audit.root(drawn["log_size"]).hex()
    with on_beacon_day():
        again = credential_http.post("/v1/inspections/draws/2027-01/draw", headers=district.registrar,
                                     json={"seed": seed, "beacon": "3 7 1"})
    assert again.status_code == 409 and again.json()["code"] == "already_drawn"

    # Anyone recomputes it: the same pairs; a tampered input gives another draw.
    view = msgspec.convert(credential_http.get("/v1/inspections/draws/2027-01", headers=district.registrar).json(),
                           DrawView)
    assert round_problems("2027-01", view.rounds[0]) == []
    assert round_problems("2027-01", view.rounds[0], beacon="3 7 2") == ["the recomputed pairs differ from the published ones"]
    tampered = msgspec.structs.replace(view.rounds[0], seed="1" * 64)
    assert "SHA-256 of the seed is not the announced commitment" in round_problems("2027-01", tampered)

    use_settings(monkeypatch, settings)
    assert main(["inspections", "verify-draw", "--month", "2027-01"]) == 0
    assert "2027-01 round 1: match" in capsys.readouterr().out
    assert main(["inspections", "verify-draw", "--month", "2027-01", "--beacon", "9 9 9"]) == 1
    assert "MISMATCH" in capsys.readouterr().out


def test_next_month_draws_other_nurseries_first_and_a_redraw_keeps_the_first_round(credential_http):
    district = make_district(credential_http, towns=4)
    district.add_inspector("王督导")
    seed = district.announce("2027-01", count=2)
    january = {p["nursery_id"] for p in district.draw("2027-01", seed)["rounds"][0]["pairs"]}
    seed = district.announce("2027-02", count=3)
    february = district.draw("2027-02", seed)["rounds"][0]
    assert sorted(february["previous"]) == sorted(january)
    drawn = [p["nursery_id"] for p in february["pairs"]]
    assert set(drawn[:2]).isdisjoint(january) and drawn[2] in january  # the others first, then the pool is exhausted

    new_seed = "ab" * 32
    known = {"reason": "督导员王某病假", "commitment": hashlib.sha256(bytes.fromhex(new_seed)).hexdigest(),
             "beacon_source": "福彩3D 开奖号码"}
    refused = credential_http.post("/v1/inspections/draws/2027-02/redraw", headers=district.registrar, json={
        **known, "beacon_on": (beacon_day() - dt.timedelta(days=1)).isoformat()})
    assert refused.status_code == 422 and refused.json()["code"] == "beacon_known"  # a value out already
    redraw = credential_http.post("/v1/inspections/draws/2027-02/redraw", headers=district.registrar, json={
        **known, "beacon_on": beacon_day().isoformat()})
    assert redraw.status_code == 200, redraw.text
    rounds = district.draw("2027-02", new_seed)["rounds"]
    assert [r["round"] for r in rounds] == [1, 2] and rounds[0]["pairs"] == february["pairs"]
    assert rounds[1]["reason"] == "督导员王某病假" and rounds[1]["pairs"] is not None


def test_an_inspector_key_names_a_registered_inspector(credential_http):
    district = make_district(credential_http, towns=1)
    admin = issue(district.app, Role.ADMIN)
    unknown = credential_http.post("/v1/keys", headers=admin, json={
        "role": "inspector", "name": "王督导", "scope": "6f1c0e0a-0000-4000-8000-000000000001"})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "scope"
    wang = district.add_inspector("王督导")
    scoped = credential_http.post("/v1/keys", headers=admin, json={"role": "inspector", "name": "王督导", "scope": wang})
    assert scoped.status_code == 201 and scoped.json()["scope"] == wang
    visit_id = credential_http.post("/v1/inspections/visits", headers=district.keys[wang],
                                    json={"nursery_id": district.nurseries[0], "kind": "routine"}).json()["visit_id"]
    unscoped = issue(district.app, Role.INSPECTOR)
    some = "6f1c0e0a-0000-4000-8000-000000000001"
    before = district.app.recorder.max_notification_id()
    for method, path, body in [
        ("POST", "/v1/inspections/visits", {"nursery_id": district.nurseries[0], "kind": "routine"}),
        ("POST", f"/v1/inspections/visits/{visit_id}/scans",
         {"scans": [{"client_scan_id": "a1", "scanned_at": "2026-12-01T08:00:00+08:00", "badge_id": some}]}),
        ("GET", f"/v1/inspections/visits/{visit_id}/proposed-findings", None),
        ("POST", f"/v1/inspections/visits/{visit_id}/findings",
         {"kind": "not_on_roster", "person_name": "陈某", "detail": "x", "due_on": "2200-01-01"}),
        ("POST", f"/v1/inspections/visits/{visit_id}/findings/{some}/outcome", {"outcome": "closed", "note": "x"}),
        ("POST", f"/v1/inspections/visits/{visit_id}/close", {}),
    ]:
        refused = credential_http.request(method, path, json=body, headers=unscoped)
        assert refused.status_code == 403 and refused.json()["code"] == "inspector_not_scoped", (path, refused.text)
    assert district.app.recorder.max_notification_id() == before


def test_an_inactive_or_conflicted_inspector_opens_no_visit(credential_http):
    district = make_district(credential_http, towns=2)
    wang = district.add_inspector("王督导")
    here, there = district.nurseries
    credential_http.post(f"/v1/inspectors/{wang}/conflicts", headers=district.registrar,
                         json={"nursery_id": here, "reason": "曾任该园园长"})
    conflicted = credential_http.post("/v1/inspections/visits", headers=district.keys[wang],
                                      json={"nursery_id": here, "kind": "routine"})
    assert conflicted.status_code == 409 and conflicted.json()["code"] == "conflict_of_interest"
    again = credential_http.post(f"/v1/inspectors/{wang}/conflicts", headers=district.registrar,
                                 json={"nursery_id": here, "reason": "again"})
    assert again.status_code == 409
    unknown = credential_http.post(f"/v1/inspectors/{wang}/conflicts", headers=district.registrar,
                                   json={"nursery_id": "6f1c0e0a-0000-4000-8000-000000000001", "reason": "x"})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "nursery_id"
    credential_http.post(f"/v1/inspectors/{wang}/activity", headers=district.registrar, json={"active": False, "reason": "退休"})
    inactive = credential_http.post("/v1/inspections/visits", headers=district.keys[wang],
                                    json={"nursery_id": there, "kind": "routine"})
    assert inactive.status_code == 403 and inactive.json()["code"] == "inspector_inactive"
    hr = issue(district.app, Role.HR, scope=there)
    assert credential_http.post("/v1/inspectors", headers=hr, json={"name": "假督导", "unit": "x"}).status_code == 403


def test_an_auditor_following_the_feed_recomputes_every_round_from_it_alone(credential_http):
    district = make_district(credential_http, towns=4)
    district.add_inspector("王督导")
    district.add_inspector("赵督导")
    district.draw("2027-01", district.announce("2027-01", count=2))
    new_seed = "cd" * 32
    assert credential_http.post("/v1/inspections/draws/2027-01/redraw", headers=district.registrar, json={
        "reason": "公证人员缺席", "commitment": hashlib.sha256(bytes.fromhex(new_seed)).hexdigest(),
        "beacon_source": "福彩3D 开奖号码", "beacon_on": beacon_day().isoformat()}).status_code == 200
    district.draw("2027-01", new_seed)
    page = msgspec.json.decode(credential_http.get("/v1/feed?limit=1000", headers=issue(district.app, Role.AUDITOR)).content,
                               type=FEED_PAGE)
    announced = {e.round: e for e in (i.event for i in page.items) if isinstance(e, InspectionDrawAnnounced)}
    drawn = [i.event for i in page.items if isinstance(i.event, InspectionDrawn)]
    assert sorted(announced) == [1, 2] and announced[2].reason == "公证人员缺席" and len(drawn) == 2
    for made in drawn:
        a = announced[made.round]
        assert hashlib.sha256(bytes.fromhex(made.seed)).hexdigest() == a.commitment
        assert draw_pairs(DrawInputs(
            month=a.month, round=a.round, count=a.count, weighting=a.weighting, pool=a.pool, inspectors=a.inspectors,
            conflicts=a.conflicts, previous=a.previous, seed=made.seed, beacon=made.beacon, log_root=made.log_root,
        )) == made.pairs
    assert "王督导" not in credential_http.get("/v1/feed?limit=1000", headers=issue(district.app, Role.AUDITOR)).text
