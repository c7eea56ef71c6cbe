"""Overdue findings as on a past date use the deadline in force on that date, not an escalation's later one
(both storages)."""

from __future__ import annotations

import datetime as dt
from uuid import UUID

from eventsourcing.domain import CanCreateTimestamp

from contracts.inspections import FindingConfirmation, FindingOutcome, NewInspector, NewVisit
from services.credential.application import Credentials
from services.credential.application.common import today
from shared.audit.replay import replay
from tests.integration.certification_world import nursery

DAY = dt.timedelta(days=1)
ACTOR = {"key_id": "k", "role": "registrar", "scope": None}


def test_an_escalation_moves_the_deadline_from_its_own_day_on(settings, monkeypatch):
    app = Credentials(settings)
    try:
        here = nursery(app, "朱泾镇阳光托育园")
        wang = app.inspectors.acting(app.inspectors.register(NewInspector(name="王督导", unit="督导室"), ACTOR).inspector_id)
        visit = app.visits.open(NewVisit(nursery_id=here, kind="routine"), wang, ACTOR)
        finding = app.findings.confirm(UUID(visit.visit_id), FindingConfirmation(
            kind="not_on_roster", person_name="陈某", detail="在岗未登记", due_on=today() + 7 * DAY), wang, ACTOR)
        again = app.visits.open(NewVisit(nursery_id=here, kind="reinspection", finding_ids=[finding.finding_id]),
                                wang, ACTOR)
        # Re-inspected ten days later: not rectified, a new deadline 30 days from today.
        ten_days_on = dt.datetime.now(dt.UTC) + 10 * DAY
        with monkeypatch.context() as clock:
            clock.setattr(CanCreateTimestamp, "create_timestamp", staticmethod(lambda: ten_days_on))
            app.findings.conclude(UUID(again.visit_id), UUID(finding.finding_id), FindingOutcome(
                outcome="escalated", note="未整改", due_on=today() + 30 * DAY), wang, ACTOR)

        def overdue(days: int) -> int:
            return app.inspection_reports.figures(today() + days * DAY).overdue_findings

        assert overdue(6) == 0
        assert overdue(8) == 1  # past the first deadline, before the escalation: overdue then
        assert overdue(12) == 0  # escalated on day 10: the new deadline
        assert overdue(31) == 1
        assert app.findings.findings(nursery_id=here, status=None)[0].escalations == 1
        assert replay(app).identical
    finally:
        app.close()


def test_figures_as_recorded_at_an_instant_count_only_what_was_recorded_by_then(credential_http):
    from tests.integration.inspection_world import make_district

    district = make_district(credential_http, towns=1)
    (here,) = district.nurseries
    key = district.keys[district.add_inspector("王督导")]
    first = credential_http.post("/v1/inspections/visits", headers=key, json={"nursery_id": here, "kind": "routine"})
    finding = credential_http.post(f"/v1/inspections/visits/{first.json()['visit_id']}/findings", headers=key, json={
        "kind": "not_on_roster", "person_name": "陈某", "detail": "在岗未登记", "due_on": (today() + 7 * DAY).isoformat()})
    assert finding.status_code == 201, finding.text
    between = dt.datetime.now(dt.UTC)
    again = credential_http.post("/v1/inspections/visits", headers=key, json={
        "nursery_id": here, "kind": "reinspection", "finding_ids": [finding.json()["finding_id"]]}).json()["visit_id"]
    closed = credential_http.post(f"/v1/inspections/visits/{again}/findings/{finding.json()['finding_id']}/outcome",
                                  headers=key, json={"outcome": "closed", "note": "已登记"})
    assert closed.status_code == 200, closed.text

    def inspections(**params) -> dict:
        answer = credential_http.get("/v1/district/figures", headers=district.registrar, params=params)
        assert answer.status_code == 200, answer.text
        return answer.json()["inspections"]

    now = inspections()
    assert (now["visits_per_month"], now["open_findings"]) == ({today().strftime("%Y-%m"): 2}, 0)
    then = inspections(as_of=between.isoformat())
    assert (then["visits_per_month"], then["open_findings"]) == ({today().strftime("%Y-%m"): 1}, 1)
    later = (today() + 8 * DAY).isoformat()
    assert inspections(on=later, as_of=between.isoformat())["overdue_findings"] == 1
    assert inspections(on=later)["overdue_findings"] == 0
    targets = credential_http.get("/v1/district/targets", headers=district.registrar,
                                  params={"on": later, "as_of": between.isoformat()}).json()
    assert {t["code"]: t["numerator"] for t in targets["targets"]}["findings_overdue"] == 1
