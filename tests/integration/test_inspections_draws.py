"""The registrar announces a month's 双随机 draw, draws it, and anyone recomputes it from the published inputs."""

from __future__ import annotations

import datetime as dt
import hashlib

from carecred.cli import main
from carecred.cli_inspections import round_problems
from contracts.inspections import DrawView
from contracts.keys import Role
from tests.audit_support import use_settings
from tests.conftest import issue
from tests.integration.inspection_world import beacon_day, make_district, on_beacon_day

import msgspec


def test_a_month_is_drawn_from_its_announced_inputs_and_re_verified_by_anyone(credential_http, settings, monkeypatch, capsys):
    district = make_district(credential_http)
    wang, zhao, sun = (district.add_inspector(n) for n in ("王督导", "赵督导", "孙督导"))
    conflicted = district.nurseries[0]
    assert credential_http.post(f"/v1/inspectors/{wang}/conflicts", headers=district.registrar,
                                json={"nursery_id": conflicted, "reason": "配偶在该园任职"}).status_code == 201
    assert credential_http.post(f"/v1/inspectors/{sun}/activity", headers=district.registrar,
                                json={"active": False, "reason": "借调"}).json()["active"] is False

    seed = district.announce("2027-01", count=3)
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
    assert len(pairs) == 3 and len({n for n, _ in pairs}) == 3
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
    unscoped = issue(district.app, Role.INSPECTOR)
    refused = credential_http.post("/v1/inspections/visits", headers=unscoped,
                                   json={"nursery_id": district.nurseries[0], "kind": "routine"})
    assert refused.status_code == 403 and refused.json()["code"] == "inspector_not_scoped"
