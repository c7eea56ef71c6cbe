"""A small district seeded over HTTP on the two real service processes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from shared.idnumber import make_valid
from tests.e2e.processes import ServiceProcess, wait_until
from shared.district import today as district_today

TODAY = district_today()


def ok(response: tuple[int, object], *expected: int) -> dict:
    status, body = response
    assert status in (expected or (200, 201)), (status, body)
    return body  # type: ignore[return-value]


@dataclass
class SeededDistrict:
    admin: str
    registrar: str
    nursery_id: str = ""
    hr: str = ""
    provider_id: str = ""
    provider: str = ""
    staff_ids: list[str] = field(default_factory=list)
    courses: list[str] = field(default_factory=list)


def seed(credential: ServiceProcess, training: ServiceProcess, admin: str, registrar: str,
         people: int = 2, courses: int = 3) -> SeededDistrict:
    """A nursery with certified, assigned nursery workers; a provider with 2-hour skills courses."""
    d = SeededDistrict(admin=admin, registrar=registrar)
    d.nursery_id = ok(credential.request("POST", "/v1/nurseries", {
        "name": "朱泾一托", "town": "朱泾镇", "ownership": "public", "inclusive": True}, registrar))["nursery_id"]
    d.hr = ok(credential.request("POST", "/v1/keys", {"role": "hr", "scope": d.nursery_id, "name": "HR"}, admin))["token"]
    for i in range(people):
        staff_id = ok(credential.request("POST", "/v1/staff", {
            "name": f"保育员{i}", "id_number": make_valid(f"31011619900101{i:03d}"), "nursery_id": d.nursery_id,
        }, registrar))["staff_id"]
        for cert_type in ("nursery_worker", "health"):
            ok(credential.request("POST", "/v1/certificates", {
                "cert_type": cert_type, "number": f"{cert_type}-{i}", "issuing_body": "金山区",
                "issued_on": (TODAY - dt.timedelta(days=100)).isoformat(),
                "expires_on": (TODAY + dt.timedelta(days=300)).isoformat(), "holder_id": staff_id,
            }, registrar))
        ok(credential.request("POST", "/v1/assignments", {
            "staff_id": staff_id, "role": "nursery_worker", "start_on": TODAY.isoformat()}, d.hr))
        d.staff_ids.append(staff_id)
    d.provider_id = ok(training.request("POST", "/v1/providers", {"code": "SOU", "name": "上海开放大学"},
                                        registrar))["provider_id"]
    for c in range(courses):
        code = f"SK-{c:02d}"
        ok(training.request("POST", f"/v1/providers/{d.provider_id}/courses", {
            "code": code, "title": f"综合技能 {c}", "category": "skills", "topic": "professional_skills",
            "class_hours": 2, "available_from": "2020-01-01"}, registrar))
        d.courses.append(code)
    d.provider = ok(training.request("POST", "/v1/keys", {
        "role": "provider", "scope": d.provider_id, "name": "SOU"}, admin))["token"]
    # The training service learns the people from the credential service's feed.
    wait_until(lambda: all(_known(training, d, s) for s in d.staff_ids), what="training to learn the staff")
    return d


def _known(training: ServiceProcess, d: SeededDistrict, staff_id: str) -> bool:
    status, _ = training.request("GET", f"/v1/people/{staff_id}/training/{TODAY.year}", token=d.registrar)
    return status == 200


def completion(d: SeededDistrict, n: int, staff_id: str, course: str) -> dict:
    return {"event_id": f"SOU-{n}", "staff_id": staff_id, "course_code": course,
            "completed_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(), "class_hours": 2}


def roster_hours(credential: ServiceProcess, d: SeededDistrict) -> dict[str, float]:
    status, roster = credential.request("GET", f"/v1/nurseries/{d.nursery_id}/roster", token=d.hr)
    assert status == 200, roster
    return {e["staff_id"]: (e["training"] or {}).get("skills_hours", 0.0) for e in roster["entries"]}
