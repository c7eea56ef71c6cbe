"""A district to inspect: nurseries, inspectors with scoped keys, a registrar, a draw helper."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from contextlib import contextmanager

import pytest
from dataclasses import dataclass, field

from contracts.keys import Role
from services.credential.application import Credentials
from services.credential.application import draws as draws_module
from services.credential.application.common import today
from tests.conftest import issue
from tests.integration.certification_world import assign, certificate, nursery, person


@dataclass
class District:
    client: object
    app: Credentials
    registrar: dict[str, str]
    nurseries: list[str]
    inspectors: list[str] = field(default_factory=list)
    keys: dict[str, dict[str, str]] = field(default_factory=dict)

    def add_inspector(self, name: str, unit: str = "金山区教育局督导室") -> str:
        response = self.client.post("/v1/inspectors", json={"name": name, "unit": unit}, headers=self.registrar)
        assert response.status_code == 201, response.text
        inspector_id = response.json()["inspector_id"]
        self.inspectors.append(inspector_id)
        self.keys[inspector_id] = issue(self.app, Role.INSPECTOR, scope=inspector_id, name=name)
        return inspector_id

    def announce(self, month: str, count: int, beacon_source: str = "福彩3D 开奖号码") -> str:
        seed = secrets.token_hex(32)
        response = self.client.post("/v1/inspections/draws", headers=self.registrar, json={
            "month": month, "count": count, "commitment": hashlib.sha256(bytes.fromhex(seed)).hexdigest(),
            "beacon_source": beacon_source, "beacon_on": beacon_day().isoformat()})
        assert response.status_code == 201, response.text
        return seed

    def draw(self, month: str, seed: str, beacon: str = "3 7 1") -> dict:
        with on_beacon_day():
            response = self.client.post(f"/v1/inspections/draws/{month}/draw", headers=self.registrar,
                                        json={"seed": seed, "beacon": beacon})
        assert response.status_code == 200, response.text
        return response.json()


def badge_for(district, nursery_id, name="李娜", id_number=None):
    """A registered, certified, assigned person with a badge; (staff_id, qr_text)."""
    app = district.app
    staff_id = person(app, name, nursery_id) if id_number is None else app.registry.register_staff(
        name=name, id_number=id_number, registered_by=nursery_id, actor={"role": "test"}).staff_id
    for cert_type in ("nursery_worker", "health"):
        certificate(app, staff_id, cert_type, today() - dt.timedelta(days=30), today() + dt.timedelta(days=300))
    assign(app, staff_id, nursery_id, "nursery_worker", today() - dt.timedelta(days=1))
    app.badges.keys.ensure({"role": "test"})
    response = district.client.post("/v1/badges", headers=district.registrar,
                                     json={"staff_id": staff_id, "nursery_id": nursery_id})
    assert response.status_code == 201, response.text
    return staff_id, response.json()["qr_text"]


def beacon_day() -> dt.date:
    """The day the beacon value is published: tomorrow (it must not be known when the draw is announced)."""
    return today() + dt.timedelta(days=1)


@contextmanager
def on_beacon_day():
    """The draw service's calendar moved on to the beacon's day (the registrar draws then)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(draws_module, "today", beacon_day)
        yield


def make_district(client, towns: int = 5) -> District:
    app = client.app.state.service
    names = ["朱泾镇阳光托育园", "枫泾镇小太阳托育园", "亭林镇托育园", "张堰镇托育园", "石化街道托育园", "吕巷镇托育园"]
    nurseries = [nursery(app, names[i]) for i in range(towns)]
    return District(client=client, app=app, registrar=issue(app, Role.REGISTRAR), nurseries=nurseries)


INSPECTION_TOPICS = {
    f"carecred.credential:{name}.v1" for name in (
        "Inspector.Registered", "Inspector.Deactivated", "Inspector.Reactivated", "Inspector.ConflictDeclared",
        "Draw.Announced", "Draw.Drawn", "Draw.Reannounced", "Visit.Opened", "Visit.Scanned", "Visit.Closed",
        "Finding.Confirmed", "Finding.Closed", "Finding.Escalated",
    )
}


def inspection_season(app: Credentials) -> None:
    """Every kind of inspection event, through the use cases: inspectors, a drawn and redrawn month, visits with a
    scan, findings confirmed, escalated and closed."""
    from uuid import UUID

    from contracts.inspections import (
        DrawAnnouncement, DrawReveal, FindingConfirmation, FindingOutcome, InspectorActivity, NewConflict,
        NewInspector, NewVisit, Redraw, ScanBatch, ScanUpload, VisitClosing,
    )

    actor = {"key_id": "k", "role": "registrar", "scope": None}
    nurseries = [nursery(app, "朱泾镇阳光托育园"), nursery(app, "枫泾镇小太阳托育园")]
    wang = app.inspectors.register(NewInspector(name="王督导", unit="督导室"), actor)
    zhao = app.inspectors.register(NewInspector(name="赵督导", unit="督导室"), actor)
    app.inspectors.declare_conflict(UUID(zhao.inspector_id), NewConflict(nursery_id=nurseries[0], reason="亲属"), actor)
    app.inspectors.set_active(UUID(zhao.inspector_id), InspectorActivity(active=False, reason="借调"), actor)
    app.inspectors.set_active(UUID(zhao.inspector_id), InspectorActivity(active=True, reason="返岗"), actor)
    month, seeds = "2027-01", [secrets.token_hex(32) for _ in range(2)]
    commit = [hashlib.sha256(bytes.fromhex(s)).hexdigest() for s in seeds]
    app.draws.announce(DrawAnnouncement(month=month, count=1, commitment=commit[0], beacon_source="福彩3D",
                                        beacon_on=beacon_day()), actor)
    with on_beacon_day():
        app.draws.draw(month, DrawReveal(seed=seeds[0], beacon="1 2 3"), actor)
    app.draws.redraw(month, Redraw(reason="督导员病假", commitment=commit[1], beacon_source="福彩3D",
                                   beacon_on=beacon_day()), actor)
    with on_beacon_day():
        app.draws.draw(month, DrawReveal(seed=seeds[1], beacon="4 5 6"), actor)
    inspector = app.inspectors.acting(wang.inspector_id)
    visit = app.visits.open(NewVisit(nursery_id=nurseries[1], kind="routine"), inspector, actor)
    app.visits.scan(UUID(visit.visit_id), ScanBatch(scans=[ScanUpload(
        client_scan_id="s1", scanned_at=dt.datetime.now(dt.UTC), qr="HC1:not-a-badge")]), inspector, actor)
    due = today() + dt.timedelta(days=10)
    findings = [app.findings.confirm(UUID(visit.visit_id), FindingConfirmation(
        kind="not_on_roster", person_name=name, detail="在岗未登记", due_on=due), inspector, actor) for name in ("陈某", "周某")]
    app.visits.close(UUID(visit.visit_id), VisitClosing(note=""), inspector, actor)
    again = app.visits.open(NewVisit(nursery_id=nurseries[1], kind="reinspection",
                                     finding_ids=[f.finding_id for f in findings]), inspector, actor)
    app.findings.conclude(UUID(again.visit_id), UUID(findings[0].finding_id),
                          FindingOutcome(outcome="closed", note="已登记"), inspector, actor)
    app.findings.conclude(UUID(again.visit_id), UUID(findings[1].finding_id),
                          FindingOutcome(outcome="escalated", note="未整改", due_on=due), inspector, actor)
    app.visits.close(UUID(again.visit_id), VisitClosing(note="复查完毕"), inspector, actor)
