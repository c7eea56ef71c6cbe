"""The plan's inspection targets (每年至少实地巡查2次, monthly 双随机 checks, findings) in /v1/district/targets,
counted by hand; a nursery closed on the date is not in the denominator (both storages)."""

from __future__ import annotations

import datetime as dt
from uuid import UUID

from contracts.registry import NurseryStatusChange
from services.credential.application.common import today
from tests.integration.certification_world import REGISTRAR, person
from tests.integration.inspection_world import make_district


def targets(client, headers, on: dt.date | None = None) -> dict:
    params = {} if on is None else {"on": on.isoformat()}
    response = client.get("/v1/district/targets", headers=headers, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def by_code(page: dict) -> dict:
    return {t["code"]: (t["numerator"], t["denominator"], t["met"]) for t in page["targets"]}


def test_inspection_targets_count_the_open_nurseries_visits_random_checks_and_findings(credential_http):
    district = make_district(credential_http, towns=4)
    wang = district.add_inspector("王督导")
    key = district.keys[wang]
    month = today().strftime("%Y-%m")
    seed = district.announce(month, count=1)
    drawn = district.draw(month, seed)["rounds"][0]["pairs"][0]["nursery_id"]
    a, b, c, d = district.nurseries
    for nursery_id in (a, a, b, d, d):
        assert credential_http.post("/v1/inspections/visits", headers=key,
                                    json={"nursery_id": nursery_id, "kind": "routine"}).status_code == 201
    random_visit = credential_http.post("/v1/inspections/visits", headers=key,
                                        json={"nursery_id": drawn, "kind": "random", "draw_month": month})
    assert random_visit.status_code == 201, random_visit.text
    staff_id = person(district.app, "周某", drawn)
    due = today() + dt.timedelta(days=7)
    for kind in ("lapsed_certificate", "no_valid_badge"):
        assert credential_http.post(f"/v1/inspections/visits/{random_visit.json()['visit_id']}/findings", headers=key,
                                    json={"kind": kind, "staff_id": staff_id, "detail": "现场发现",
                                          "due_on": due.isoformat()}).status_code == 201
    # 吕巷 (d) closes today: twice visited, but no longer a nursery the plan counts.
    district.app.nursery_lifecycle.close(UUID(d), NurseryStatusChange(effective_on=today(), reason="停办"), REGISTRAR)

    # By hand: visits a 2, b 1, c 0, d 2, plus 1 at the drawn nursery; open nurseries a, b, c.
    visits = {a: 2, b: 1, c: 0, d: 2}
    visits[drawn] += 1
    twice = sum(1 for n in (a, b, c) if visits[n] >= 2)
    page = targets(credential_http, district.registrar)
    counted = by_code(page)
    assert counted["inspected_twice"] == (twice, 3, twice == 3)
    assert counted["random_checks_monthly"] == (1, today().month, today().month == 1)
    assert counted["findings_overdue"] == (0, 2, None)
    assert page["random_checks_per_month"] == {month: 1}
    # The same counts as InspectionReports shows in the district figures.
    figures = credential_http.get("/v1/district/figures", headers=district.registrar).json()["inspections"]
    assert figures["open_findings"] == 2 and figures["random_checks_per_month"] == {month: 1}

    # A week and a day later both findings are past their deadline.
    assert by_code(targets(credential_http, district.registrar, today() + dt.timedelta(days=8)))["findings_overdue"] \
        == (2, 2, None)
    # The day before: no visit yet, nothing found; d was still open then.
    before = by_code(targets(credential_http, district.registrar, today() - dt.timedelta(days=1)))
    if today().month == (today() - dt.timedelta(days=1)).month:
        assert before["random_checks_monthly"][0] == 0
    assert before["findings_overdue"] == (0, 0, None)
    assert before["inspected_twice"][0] == 0
