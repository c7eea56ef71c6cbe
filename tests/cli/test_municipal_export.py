"""`carecred export municipal`: what the municipal platform receives, full and then only what changed."""

from __future__ import annotations

import csv
import json

import jsonschema
import msgspec

from carecred.cli import main
from carecred.services import open_application
from contracts.credentials import NewViolation
from contracts.municipal import MunicipalExport
from contracts.schemas import schema_path
from tests.audit_support import use_settings
from tests.integration.certification_world import REGISTRAR, certificate
from tests.integration.district_year import D, make_district_year
from tests.integration.test_as_recorded import post_training


def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(schema_path("contracts.municipal").read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator({**schema, "$ref": "#/$defs/MunicipalExport"})


def test_a_full_export_then_an_incremental_one_round_trip_through_the_schema(settings, tmp_path, monkeypatch, capsys):
    app = open_application("credential", settings)
    try:
        world = make_district_year(app)
        someone = world.people["保育员乙"]
        app.integrity.record_violation(NewViolation(staff_id=someone, what="未按规定晨检", occurred_on=D("2026-03-02"),
                                                    action="warning"), REGISTRAR)
        post_training(app, someone, 3, 24.0, year=2026)
        raw_numbers = [r["id_hash"] for r in app.store.query("SELECT id_hash FROM staff")]
    finally:
        app.close()
    use_settings(monkeypatch, settings)
    monkeypatch.setenv("TTY_COMPATIBLE", "1")  # as on a terminal: the bar is drawn

    assert main(["export", "municipal", "--output", str(tmp_path / "full")]) == 0
    shown = capsys.readouterr()
    assert "export municipal" in shown.err and "5/5" in shown.err
    text = (tmp_path / "full" / "municipal.json").read_text(encoding="utf-8")
    document = json.loads(text)
    validator().validate(document)
    full = msgspec.json.decode(text, type=MunicipalExport)
    assert msgspec.json.decode(msgspec.json.encode(full)) == document  # round trip
    kinds = [r["type"] for r in document["records"]]
    assert (kinds.count("staff"), kinds.count("training"), kinds.count("integrity")) == (5, 1, 1)
    assert kinds.count("certificate") == 11  # 保育员甲 2, 教师甲 3, 教师乙 2, 保育员乙 2, 保育员丙 2 (a lapsed one too)
    assert document["full"] and document["since"] == 0 and document["through"] > 0
    assert all("*" in r["id_masked"] for r in document["records"] if r["type"] == "staff")
    assert not any(h in text for h in raw_numbers)
    with (tmp_path / "full" / "staff.csv").open(encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 5 and {r["name"] for r in rows} >= {"保育员乙", "教师甲"} and all("*" in r["id_masked"] for r in rows)
    with (tmp_path / "full" / "training.csv").open(encoding="utf-8-sig") as f:
        (training,) = list(csv.DictReader(f))
    assert (training["staff_id"], training["skills_hours"], training["complete"]) == (someone, "24.0", "false")

    # Something changes for one person: the next export, from where the last one ended, holds only them.
    app = open_application("credential", settings)
    try:
        certificate(app, world.people["教师乙"], "infant_care", D("2026-11-01"), D("2029-10-31"))
    finally:
        app.close()
    assert main(["export", "municipal", "--since", str(document["through"]), "--training-since",
                 str(document["training_through"]), "--output", str(tmp_path / "next")]) == 0
    later = json.loads((tmp_path / "next" / "municipal.json").read_text(encoding="utf-8"))
    validator().validate(later)
    assert not later["full"] and later["since"] == document["through"]
    assert {r.get("staff_id") or r.get("holder_id") for r in later["records"]} == {world.people["教师乙"]}
    assert [r["cert_type"] for r in later["records"] if r["type"] == "certificate"].count("infant_care") == 1

    broken = json.loads(text)
    broken["records"][0]["id_masked"] = 110105
    assert not validator().is_valid(broken)
    assert main(["export", "municipal", "--since", "-1", "--output", str(tmp_path / "x")]) == 2
