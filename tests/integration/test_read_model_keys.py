"""Read models never assume more uniqueness than the domain has: one case per key, recorded over HTTP.

Every UNIQUE index, PRIMARY KEY and ON CONFLICT of a read model was checked against what the
domain allows twice (docs/read-model-stalls.md lists them). Each case below records such a
domain-legal pair through the HTTP API (and the feeds, for the tables followers keep), then
checks that every read model applied every event (none stalled, the projector at the log's
head) and that the pair shows in the answers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Callable

import pytest
from litestar.testing import TestClient
from services.credential.application.common import today
from shared.idnumber import make_valid
from tests.conftest import issue

DAY = dt.timedelta(days=1)
SYSTEM = {"role": "test"}


@dataclass
class World:
    credential: TestClient
    training: TestClient
    registrar: dict[str, str]
    training_registrar: dict[str, str]
    people: int = 0

    @property
    def app(self) -> Any:
        return self.credential.app.state.service

    @property
    def training_app(self) -> Any:
        return self.training.app.state.service

    def ok(self, response: Any, status: int = 201) -> Any:
        assert response.status_code == status, response.text
        return response.json()

    def nursery(self, name: str) -> str:
        body = {"name": name, "town": "朱泾镇", "ownership": "public", "inclusive": True}
        return self.ok(self.credential.post("/v1/nurseries", json=body, headers=self.registrar))["nursery_id"]

    def person(self, nursery: str, name: str = "周敏") -> str:
        self.people += 1
        body = {"name": name, "id_number": make_valid(f"31011619850101{self.people:03d}"), "nursery_id": nursery}
        return self.ok(self.credential.post("/v1/staff", json=body, headers=self.registrar))["staff_id"]

    def certificate(self, holder: str, cert_type: str, number: str, expires_in: int = 300, issued_ago: int = 30) -> str:
        body = {"cert_type": cert_type, "number": number, "issuing_body": "金山区",
                "issued_on": (today() - issued_ago * DAY).isoformat(), "expires_on": (today() + expires_in * DAY).isoformat(),
                "holder_id": holder}
        return self.ok(self.credential.post("/v1/certificates", json=body, headers=self.registrar))["certificate_id"]

    def assign(self, holder: str, nursery: str, role: str, start_on: dt.date | None = None) -> str:
        body = {"staff_id": holder, "role": role, "start_on": (start_on or today()).isoformat(), "nursery_id": nursery}
        return self.ok(self.credential.post("/v1/assignments", json=body, headers=self.registrar))["assignment_id"]

    def badge(self, holder: str, nursery: str) -> dict:
        body = {"staff_id": holder, "nursery_id": nursery}
        return self.ok(self.credential.post("/v1/badges", json=body, headers=self.registrar))

    def provider(self, code: str) -> tuple[str, dict[str, str]]:
        provider_id = self.ok(self.training.post("/v1/providers", json={"code": code, "name": f"{code} 培训中心"},
                                                 headers=self.training_registrar))["provider_id"]
        return provider_id, issue(self.training_app, "provider", provider_id)

    def course(self, provider_id: str, code: str) -> None:
        body = {"code": code, "title": "婴幼儿照护", "category": "skills", "topic": "professional_skills",
                "class_hours": 8, "available_from": "2020-01-01"}
        self.ok(self.training.post(f"/v1/providers/{provider_id}/courses", json=body, headers=self.training_registrar))

    def completion(self, provider: tuple[str, dict[str, str]], event_id: str, person: str, course: str,
                   completed_at: str) -> dict:
        body = {"event_id": event_id, "staff_id": person, "course_code": course, "completed_at": completed_at,
                "class_hours": 8}
        return self.ok(self.training.post(f"/v1/providers/{provider[0]}/completions", json=body, headers=provider[1]))

    def follow_both_feeds(self) -> None:
        """What the followers do, page by page over HTTP: each service learns the other's public events."""
        for source, follower in ((self.credential, self.training_app.followers[0]),
                                 (self.training, self.app.followers[0])):
            key = issue(source.app.state.service, "service")
            while True:
                after = follower.position()
                page = follower.decoder.decode(source.get(f"/v1/feed?after={after}", headers=key).content)
                if page.next_after <= after:
                    break
                follower._apply_page(after, page)


@pytest.fixture
def world(settings) -> Any:
    from services.credential.app import create_app as credential_app
    from services.training.app import create_app as training_app

    with TestClient(credential_app(settings)) as credential, TestClient(training_app(settings)) as training:
        credential.app.state.service.badges.keys.ensure(SYSTEM)
        yield World(credential=credential, training=training, registrar=issue(credential.app.state.service, "registrar"),
                    training_registrar=issue(training.app.state.service, "registrar"))


# The cases: (the key or ON CONFLICT, what the domain allows twice) -> a scenario that records it and checks the answer.

def same_number_two_types_one_holder(w: World) -> None:
    """badge_certificates (badge_id, type, number); Badge aggregate by (type, number): 保健员证 and 健康证 alike."""
    nursery = w.nursery("朱泾一托")
    zhou = w.person(nursery)
    w.certificate(zhou, "health_worker", "JS0004-HE")
    health = w.certificate(zhou, "health", "JS0004-HE")
    w.assign(zhou, nursery, "health_worker")
    badge = w.badge(zhou, nursery)
    inspector = issue(w.app, "inspector")
    verdict = w.ok(w.credential.post("/v1/verify", json={"qr": badge["qr_text"]}, headers=inspector), 200)
    assert verdict["verdict"] == "valid"
    w.ok(w.credential.post(f"/v1/certificates/{health}/suspend", json={"reason": "体检逾期"}, headers=w.registrar), 200)
    shown = w.ok(w.credential.get(f"/v1/badges/{badge['badge_id']}", headers=w.registrar), 200)
    assert {c["type"]: c["status"] for c in shown["certificates"]} == {"health": "suspended", "health_worker": "active"}
    assert shown["status"] == "suspended"
    listed = w.ok(w.credential.get("/v1/badges", params={"certificate_number": "JS0004-HE"}, headers=w.registrar), 200)
    assert [b["badge_id"] for b in listed] == [badge["badge_id"]]


def same_number_two_types_two_holders(w: World) -> None:
    """Badge lookups by (type, number): revoking one holder's certificate leaves the other's badge alone."""
    nursery = w.nursery("朱泾一托")
    wang, li = w.person(nursery, "王芳"), w.person(nursery, "李丽")
    w.certificate(wang, "nursery_worker", "SH-2026-001")
    w.certificate(wang, "health", "JK-W")
    li_certificate = w.certificate(li, "health", "SH-2026-001")
    w.certificate(li, "nursery_worker", "BY-L")
    w.assign(wang, nursery, "nursery_worker")
    w.assign(li, nursery, "nursery_worker")
    wang_badge, li_badge = w.badge(wang, nursery), w.badge(li, nursery)
    w.ok(w.credential.post(f"/v1/certificates/{li_certificate}/revoke", json={"reason": "伪造", "category": "fraud"},
                           headers=w.registrar), 200)
    assert w.ok(w.credential.get(f"/v1/badges/{li_badge['badge_id']}", headers=w.registrar), 200)["status"] == "revoked"
    assert w.ok(w.credential.get(f"/v1/badges/{wang_badge['badge_id']}", headers=w.registrar), 200)["status"] == "active"
    numbers = w.ok(w.credential.get("/v1/certificates/expiring", params={"within": 366}, headers=w.registrar), 200)
    assert sorted(c["holder_id"] for c in numbers if c["number"] == "SH-2026-001") == sorted([wang])  # li's is revoked


def one_person_in_two_nurseries(w: World) -> None:
    """staff_nursery (staff_id, nursery_id, via) and training's person_nurseries: registered at one, assigned at two."""
    ours, theirs = w.nursery("朱泾一托"), w.nursery("枫泾宝贝")
    zhou = w.person(ours)
    w.certificate(zhou, "nursery_worker", "BY-1")
    w.certificate(zhou, "infant_care", "YY-1")
    w.certificate(zhou, "health", "JK-1")
    w.assign(zhou, ours, "nursery_worker")
    w.assign(zhou, theirs, "nursery_worker")
    w.assign(zhou, theirs, "infant_caregiver")  # two roles at the same nursery: one visibility row
    for nursery in (ours, theirs):
        hr = issue(w.app, "hr", nursery)
        assert w.ok(w.credential.get(f"/v1/staff/{zhou}", headers=hr), 200)["staff_id"] == zhou
        roster = w.ok(w.credential.get(f"/v1/nurseries/{nursery}/roster", headers=hr), 200)
        assert [e["staff_id"] for e in roster["entries"]] == [zhou]
    w.follow_both_feeds()
    assert w.training_app.people.person_nurseries(zhou) == {ours, theirs}
    for nursery in (ours, theirs):
        hr = issue(w.training_app, "hr", nursery)
        assert w.ok(w.training.get(f"/v1/people/{zhou}/training/2025", headers=hr), 200)["staff_id"] == zhou


def the_same_role_again_after_it_ended(w: World) -> None:
    """assignments (assignment_id from person, nursery, role, start): the same role again, later."""
    nursery = w.nursery("朱泾一托")
    zhou = w.person(nursery)
    w.certificate(zhou, "nursery_worker", "BY-1", expires_in=900, issued_ago=90)
    w.certificate(zhou, "health", "JK-1", expires_in=900, issued_ago=90)
    first = w.assign(zhou, nursery, "nursery_worker", today() - 60 * DAY)
    w.ok(w.credential.post(f"/v1/assignments/{first}/end", json={"end_on": (today() - 30 * DAY).isoformat(),
                                                                 "reason": "产假"}, headers=w.registrar), 200)
    w.assign(zhou, nursery, "nursery_worker", today())
    profile = w.ok(w.credential.get(f"/v1/staff/{zhou}/profile", headers=w.registrar), 200)
    assert [a["active"] for a in profile["assignments"]] == [False, True]


def a_renewal_and_the_expiries(w: World) -> None:
    """certificate_expiries (certificate_id, expires_on) and certificate_facts_history (certificate_id, position)."""
    nursery = w.nursery("朱泾一托")
    zhou = w.person(nursery)
    health = w.certificate(zhou, "health", "JK-1", expires_in=20)
    renewed = (today() + 380 * DAY).isoformat()
    w.ok(w.credential.post(f"/v1/certificates/{health}/renew", json={"expires_on": renewed, "note": "换证"}, headers=w.registrar), 200)
    w.ok(w.credential.post(f"/v1/certificates/{health}/suspend", json={"reason": "复查"}, headers=w.registrar), 200)
    w.ok(w.credential.post(f"/v1/certificates/{health}/reinstate", json={"note": "复查合格"}, headers=w.registrar), 200)
    def expiring(on: dt.date) -> list[str]:
        found = w.credential.get("/v1/certificates/expiring", params={"within": 30, "on": on.isoformat()},
                                 headers=w.registrar)
        return [c["expires_on"] for c in w.ok(found, 200)]

    assert expiring(today() - DAY) == [(today() + 20 * DAY).isoformat()]  # before the renewal took effect
    assert expiring(today()) == []  # renewed: the old expiry stays recorded but no longer counts
    assert w.ok(w.credential.get(f"/v1/certificates/{health}", headers=w.registrar), 200)["expires_on"] == renewed


def the_same_course_in_two_years(w: World) -> None:
    """completions (no key on person and course) and credential's training_totals (staff_id, year) via the feed."""
    nursery = w.nursery("朱泾一托")
    zhou = w.person(nursery)
    w.follow_both_feeds()
    provider = w.provider("SOU")
    w.course(provider[0], "SK01")
    first = w.completion(provider, "E-2024", zhou, "SK01", "2024-06-30T14:00:00+08:00")
    second = w.completion(provider, "E-2025", zhou, "SK01", "2025-06-30T14:00:00+08:00")
    again = w.completion(provider, "E-2025b", zhou, "SK01", "2025-09-30T14:00:00+08:00")
    assert (first["counted"], second["counted"], again["counted"]) == (True, True, False)  # once a year
    w.follow_both_feeds()
    for year, hours in ((2024, 8), (2025, 8)):
        on = f"{year}-12-31"
        profile = w.ok(w.credential.get(f"/v1/staff/{zhou}/profile", params={"on": on}, headers=w.registrar), 200)
        assert profile["training"]["skills_hours"] == hours


def the_same_event_id_at_two_providers(w: World) -> None:
    """completions (completion_id from provider and event id): providers choose their own event ids."""
    nursery = w.nursery("朱泾一托")
    zhou = w.person(nursery)
    w.follow_both_feeds()
    sou, fdu = w.provider("SOU"), w.provider("FDU")
    for provider in (sou, fdu):
        w.course(provider[0], "SK01")  # the same course code at two providers: courses (provider_id, code)
    a = w.completion(sou, "2025-001", zhou, "SK01", "2025-06-30T14:00:00+08:00")
    b = w.completion(fdu, "2025-001", zhou, "SK01", "2025-07-30T14:00:00+08:00")
    assert a["completion_id"] != b["completion_id"]
    year = w.ok(w.training.get(f"/v1/people/{zhou}/training/2025", headers=w.training_registrar), 200)
    assert sorted((e["provider_code"], e["event_id"]) for e in year["entries"]) == [("FDU", "2025-001"),
                                                                                     ("SOU", "2025-001")]


CASES: list[tuple[str, Callable[[World], None]]] = [
    ("certificate number per type, one holder", same_number_two_types_one_holder),
    ("certificate number per type, two holders", same_number_two_types_two_holders),
    ("one person in two nurseries", one_person_in_two_nurseries),
    ("the same role again after it ended", the_same_role_again_after_it_ended),
    ("a certificate renewed, suspended, reinstated", a_renewal_and_the_expiries),
    ("the same course in two years", the_same_course_in_two_years),
    ("the same event id at two providers", the_same_event_id_at_two_providers),
]


@pytest.mark.parametrize("scenario", [case for _, case in CASES], ids=[name for name, _ in CASES])
def test_every_read_model_applies_what_the_domain_allows_twice(world, scenario):
    scenario(world)
    for app in (world.app, world.training_app):
        assert app.stalled_read_models() == []
        for projector in app.projectors():
            assert projector.catch_up(*projector.by_name) == app.recorder.max_notification_id()
        for follower in app.followers:
            assert follower.error is None
