"""A lapsed-certificate finding is proposed by the policy in force on the visit's day (policy v2), both storages."""

from __future__ import annotations

import datetime as dt

from services.credential.application.common import today
from tests.integration.certification_world import assign, certificate, person
from tests.integration.inspection_world import make_district
from tests.integration.test_policy_v2 import adopt_v2

DAY = dt.timedelta(days=1)


def test_a_health_check_overdue_under_v2_proposes_a_lapsed_certificate_finding(credential_http):
    district = make_district(credential_http, towns=1)
    (here,) = district.nurseries
    app = district.app
    # 王芳's 健康证 was taken 400 days ago and, as recorded under v1, runs for 300 more days: compliant under v1.
    wang = person(app, "王芳", here)
    certificate(app, wang, "nursery_worker", today() - 400 * DAY, today() + 900 * DAY)
    certificate(app, wang, "health", today() - 400 * DAY, today() + 300 * DAY)
    assign(app, wang, here, "nursery_worker", today() - 30 * DAY)
    app.badges.keys.ensure({"role": "test"})
    badge = credential_http.post("/v1/badges", headers=district.registrar, json={"staff_id": wang, "nursery_id": here})
    assert badge.status_code == 201, badge.text
    # Policy v2 comes into force today: the health check is re-checked every 12 months, whatever the record says.
    assert adopt_v2(app, effective_on=today()).version == 2

    inspector = district.keys[district.add_inspector("王督导")]
    visit_id = credential_http.post("/v1/inspections/visits", headers=inspector,
                                    json={"nursery_id": here, "kind": "routine"}).json()["visit_id"]
    scanned = credential_http.post(f"/v1/inspections/visits/{visit_id}/scans", headers=inspector, json={"scans": [
        {"client_scan_id": "s1", "scanned_at": dt.datetime.now(dt.UTC).isoformat(), "qr": badge.json()["qr_text"]}]})
    assert scanned.status_code == 200, scanned.text

    proposed = credential_http.get(f"/v1/inspections/visits/{visit_id}/proposed-findings", headers=inspector).json()
    (lapsed,) = [p for p in proposed if p["kind"] == "lapsed_certificate"]
    assert lapsed["staff_id"] == wang
    assert "health recheck_due" in lapsed["detail"] and "under policy v2 as nursery_worker" in lapsed["detail"]
