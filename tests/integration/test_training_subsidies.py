"""Providers post assessment results; the subsidy list names each person once per certificate and level.

A pass (鉴定合格) earns one training-fee subsidy claim per person, certificate type (保育员/育婴员)
and level; a second pass of the same does not; the registrar records payment and "unpaid
again" as events; each line names the events it rests on, which replay and have audit proofs.
Results are published on the feed for the registrar.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import io
import json

import pytest

from contracts.events.training import AssessmentRecorded
from shared.audit.replay import replay
from shared.district import today
from tests.audit_support import audit_settings  # noqa: F401
from tests.conftest import issue
from tests.integration.test_audit_proofs import mth, rfc_leaf, unhex, verify_inclusion
from tests.integration.training_world import NURSERY, approve, id_number, learn_people

TODAY = today()
START, END = TODAY - dt.timedelta(days=60), TODAY


@pytest.fixture
def world(audit_settings):  # noqa: F811
    from litestar.testing import TestClient

    from services.training.app import create_app

    with TestClient(create_app(audit_settings)) as client:
        app = client.app.state.service
        sou, other = approve(app), approve(app, code="JSVC", name="金山区职业技术学校")
        people = learn_people(app, 3)
        yield client, {
            "sou": str(sou), "other": str(other), "people": people,
            "sou_key": issue(app, "provider", str(sou)), "other_key": issue(app, "provider", str(other)),
            "registrar": issue(app, "registrar"), "auditor": issue(app, "auditor"), "hr": issue(app, "hr", NURSERY),
        }


def result(client, w, event_id, person=None, provider="sou", key="sou_key", **fields):
    body = {"event_id": event_id, "certificate_type": "nursery_worker", "level": 4, "passed": True,
            "assessed_on": (TODAY - dt.timedelta(days=10)).isoformat(), **fields}
    if person is not None:
        body["staff_id"] = person
    return client.post(f"/v1/providers/{w[provider]}/assessments", json=body, headers=w[key])


def subsidies(client, w, provider="sou", key="registrar", fmt=""):
    return client.get(f"/v1/providers/{w[provider]}/subsidies{fmt}", headers=w[key],
                      params={"start": START.isoformat(), "end": END.isoformat()})


def test_each_person_is_listed_once_per_certificate_type_and_level(world):
    client, w = world
    wang, li, zhao = w["people"]
    assert result(client, w, "A1", wang).status_code == 201
    assert result(client, w, "A1", wang).status_code == 200  # a retry
    assert result(client, w, "A1", wang, level=3).status_code == 409
    again = result(client, w, "A2", wang)  # passed the same type and level again: no second claim
    assert again.status_code == 201 and again.json()["claim_id"] is None
    assert result(client, w, "A3", wang, certificate_type="infant_care").status_code == 201
    assert result(client, w, "A4", wang, level=3).status_code == 201
    assert result(client, w, "A5", li, passed=False).status_code == 201  # not passed: no claim
    by_number = client.post(f"/v1/providers/{w['sou']}/assessments", headers=w["sou_key"], json={
        "event_id": "A6", "id_number": id_number(2), "certificate_type": "infant_care", "level": 5, "passed": True,
        "assessed_on": TODAY.isoformat()})
    assert by_number.status_code == 201 and by_number.json()["staff_id"] == zhao
    listing = subsidies(client, w).json()
    lines = [(x["staff_id"], x["certificate_type"], x["level"]) for x in listing["lines"]]
    assert sorted(lines) == sorted([(wang, "nursery_worker", 4), (wang, "infant_care", 4), (wang, "nursery_worker", 3),
                                    (zhao, "infant_care", 5)])
    assert (listing["paid"], listing["unpaid"]) == (0, 4)
    first = next(x for x in listing["lines"] if (x["certificate_type"], x["level"]) == ("nursery_worker", 4))
    a1 = client.get(f"/v1/providers/{w['sou']}/assessments", headers=w["sou_key"]).json()[0]
    assert first["assessment_id"] == a1["assessment_id"]
    assert [e["position"] for e in first["events"]] == [a1["position"]]
    table = list(csv.DictReader(io.StringIO(subsidies(client, w, fmt="/csv").text)))
    assert sorted((r["staff_id"], r["certificate_type"], r["level"]) for r in table) == \
        sorted((s, t, str(level)) for s, t, level in lines)
    assert subsidies(client, w, provider="other").json()["lines"] == []


def test_the_registrar_records_payment_and_unpaid_as_events(world):
    client, w = world
    wang = w["people"][0]
    claim_id = result(client, w, "A1", wang).json()["claim_id"]
    url = f"/v1/subsidy-claims/{claim_id}"
    payment = {"amount_fen": 120000, "reference": "沪财-2026-0001", "paid_on": TODAY.isoformat()}
    assert client.post(f"{url}/payment", json=payment, headers=w["sou_key"]).status_code == 403
    assert client.post(f"{url}/unpaid", json={"reason": "未付"}, headers=w["registrar"]).status_code == 409
    paid = client.post(f"{url}/payment", json=payment, headers=w["registrar"])
    assert paid.status_code == 201, paid.text
    assert (paid.json()["status"], paid.json()["amount_fen"]) == ("paid", 120000)
    assert client.post(f"{url}/payment", json=payment, headers=w["registrar"]).status_code == 409
    unpaid = client.post(f"{url}/unpaid", json={"reason": "银行退回"}, headers=w["registrar"])
    assert unpaid.status_code == 200 and unpaid.json()["status"] == "unpaid"
    again = client.post(f"{url}/payment", json={**payment, "reference": "沪财-2026-0002"}, headers=w["registrar"])
    assert again.status_code == 201 and again.json()["reference"] == "沪财-2026-0002"
    topics = [e["topic"].rsplit(":", 1)[-1] for e in again.json()["events"]]
    assert topics == ["Assessment.Recorded.v1", "SubsidyPayment.Paid.v1", "SubsidyPayment.MarkedUnpaid.v1",
                      "SubsidyPayment.PaidAgain.v1"]
    listing = subsidies(client, w).json()
    assert (listing["paid"], listing["unpaid"]) == (1, 0)
    row = next(csv.DictReader(io.StringIO(subsidies(client, w, fmt="/csv").text)))
    assert (row["status"], row["amount_yuan"]) == ("paid", "1200.00")
    future = client.post(f"{url}/payment", headers=w["registrar"],
                         json={**payment, "paid_on": (TODAY + dt.timedelta(days=3)).isoformat()})
    assert future.status_code in (409, 422)
    assert client.post("/v1/subsidy-claims/00000000-0000-4000-8000-000000000000/payment", json=payment,
                       headers=w["registrar"]).status_code == 404


def test_a_provider_posts_only_its_own_valid_results_and_reads_only_its_own_list(world):
    client, w = world
    wang = w["people"][0]
    assert result(client, w, "A1", wang, provider="sou", key="other_key").status_code == 403
    assert subsidies(client, w, key="other_key").status_code == 403
    assert subsidies(client, w, key="hr").status_code == 403
    unknown = result(client, w, "A1", "00000000-0000-4000-8000-000000000000")
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "staff_id"
    future = result(client, w, "A1", wang, assessed_on=(TODAY + dt.timedelta(days=2)).isoformat())
    assert future.status_code == 422 and future.json()["errors"][0]["field"] == "assessed_on"
    assert result(client, w, "A1", wang, level=6).status_code == 422
    assert result(client, w, "A1", wang, certificate_type="teacher").status_code == 422
    backwards = client.get(f"/v1/providers/{w['sou']}/subsidies", headers=w["registrar"],
                           params={"start": END.isoformat(), "end": START.isoformat()})
    assert backwards.status_code == 422
    assert client.get(f"/v1/providers/{w['sou']}/assessments", headers=w["sou_key"]).json() == []


def test_results_are_on_the_feed_and_every_subsidy_event_replays_and_is_proven(world):
    client, w = world
    wang, li, _ = w["people"]
    claim_id = result(client, w, "A1", wang).json()["claim_id"]
    result(client, w, "A2", li, passed=False, certificate_type="infant_care", level=5)
    client.post(f"/v1/subsidy-claims/{claim_id}/payment", headers=w["registrar"],
                json={"amount_fen": 80000, "reference": "沪财-1", "paid_on": TODAY.isoformat()})
    app = client.app.state.service
    published = [i.event for i in app.publisher.page(0, 100).items if isinstance(i.event, AssessmentRecorded)]
    assert [(e.staff_id, e.certificate_type, e.level, e.passed) for e in published] == [
        (wang, "nursery_worker", 4, True), (li, "infant_care", 5, False)]
    assert replay(app).identical
    lines = [json.loads(x) for x in client.get("/v1/audit/export", headers=w["auditor"]).text.splitlines()]
    leaves = [rfc_leaf(x["position"], x["aggregate_id"], x["version"], x["topic"], base64.b64decode(x["state"]))
              for x in lines]
    index_of = {x["position"]: i for i, x in enumerate(lines)}
    claim = client.get(f"/v1/subsidy-claims/{claim_id}", headers=w["auditor"]).json()
    assert len(claim["events"]) == 2
    for event in claim["events"]:
        index = index_of[event["position"]]
        assert lines[index]["topic"] == event["topic"] and lines[index]["aggregate_id"] == event["aggregate_id"]
        proof = client.get("/v1/audit/proofs/inclusion", headers=w["auditor"],
                           params={"position": event["position"], "tree_size": len(leaves)}).json()
        assert verify_inclusion(index, len(leaves), leaves[index], unhex(proof["path"]), mth(leaves))
