"""Auditors ask what the roster and a profile said at an earlier instant (recorded time):
the answer matches what the API said then, whatever has been recorded since."""

from __future__ import annotations

import datetime as dt
import time
from urllib.parse import quote

from contracts.events.training import CompletionRecorded, YearTotals
from contracts.registry import NewNursery
from services.credential.read_models.training_status import apply as apply_training
from services.training.domain.requirement import ETHICS, REQUIRED_HOURS, SKILLS
from shared.district import today
from shared.idnumber import make_valid
from tests.conftest import issue

SYSTEM = {"role": "test"}
VOLATILE = {"certificates_as_of", "training_as_of"}


def strip(body: dict) -> dict:
    return {k: v for k, v in body.items() if k not in VOLATILE}


def post_training(app, staff_id: str, position: int, skills: float, *, year: int | None = None,
                  required: dict[str, float] = REQUIRED_HOURS) -> None:
    """What the training service's feed says after a completion (as the follower applies it)."""
    event = CompletionRecorded(
        completion_id=f"c{position}", staff_id=staff_id, provider_id="p", course_code=f"SK-{position}",
        category="skills", hours=8.0, completed_on=today(), counted=True,
        totals=YearTotals(year=year or today().year, skills_hours=skills, ethics_hours=0.0,
                          skills_required=required[SKILLS], ethics_required=required[ETHICS]),
    )
    with app.store.transaction(commit=True) as cur:
        apply_training(cur, event, position)


def test_roster_and_profile_as_recorded_at_an_earlier_instant(credential_http):
    client, app = credential_http, credential_http.app.state.service
    registrar = issue(app, "registrar")
    nursery = app.registry.register_nursery(NewNursery(name="朱泾一托", town="朱泾镇", ownership="public", inclusive=True),
                                            SYSTEM).nursery_id
    hr = issue(app, "hr", nursery)
    staff = [app.registry.register_staff(name=f"保育员{i}", id_number=make_valid(f"31011619900101{i:03d}"),
                                         registered_by=nursery, actor=SYSTEM).staff_id for i in range(2)]
    certificates = {}
    for i, staff_id in enumerate(staff):
        for cert_type in ("nursery_worker", "health"):
            response = client.post("/v1/certificates", headers=registrar, json={
                "cert_type": cert_type, "number": f"{cert_type}-{i}", "issuing_body": "金山区",
                "issued_on": (today() - dt.timedelta(days=10)).isoformat(),
                "expires_on": (today() + dt.timedelta(days=200)).isoformat(), "holder_id": staff_id})
            certificates[(i, cert_type)] = response.json()["certificate_id"]
        assert client.post("/v1/assignments", headers=hr, json={
            "staff_id": staff_id, "role": "nursery_worker", "start_on": today().isoformat()}).status_code == 201
    post_training(app, staff[0], 1, 8.0)

    roster_then = client.get(f"/v1/nurseries/{nursery}/roster", headers=hr).json()
    profile_then = client.get(f"/v1/staff/{staff[0]}/profile", headers=registrar).json()
    instant = dt.datetime.now(dt.UTC)
    time.sleep(0.01)

    # Afterwards: a revocation, a renewal, an ended assignment, more training, a new person.
    client.post(f"/v1/certificates/{certificates[(0, 'health')]}/revoke", headers=registrar,
                json={"reason": "forged", "category": "fraud"})
    client.post(f"/v1/certificates/{certificates[(1, 'nursery_worker')]}/renew", headers=registrar,
                json={"expires_on": (today() + dt.timedelta(days=900)).isoformat()})
    assignment = client.get(f"/v1/staff/{staff[1]}/profile", headers=registrar).json()["assignments"][0]
    client.post(f"/v1/assignments/{assignment['assignment_id']}/end", headers=hr,
                json={"end_on": (today() - dt.timedelta(days=0)).isoformat(), "reason": "left"})
    post_training(app, staff[0], 2, 16.0)
    roster_now = client.get(f"/v1/nurseries/{nursery}/roster", headers=hr).json()
    assert strip(roster_now) != strip(roster_then)  # things did change

    at = quote(instant.isoformat())
    assert strip(client.get(f"/v1/nurseries/{nursery}/roster?as_of={at}", headers=hr).json()) == strip(roster_then)
    assert client.get(f"/v1/staff/{staff[0]}/profile?as_of={at}", headers=registrar).json() == profile_then


def test_a_person_registered_later_did_not_exist_at_the_instant(credential_http):
    client, app = credential_http, credential_http.app.state.service
    before = quote(dt.datetime.now(dt.UTC).isoformat())
    time.sleep(0.01)
    staff_id = app.registry.register_staff(name="李丽", id_number=make_valid("31011619900101999"), registered_by=None,
                                           actor=SYSTEM).staff_id
    response = client.get(f"/v1/staff/{staff_id}/profile?as_of={before}", headers=issue(app, "auditor"))
    assert response.status_code == 404


def test_before_a_first_completion_a_person_is_held_to_the_requirement_the_training_service_published(credential_http):
    client, app = credential_http, credential_http.app.state.service
    registrar = issue(app, "registrar")
    nursery = app.registry.register_nursery(NewNursery(name="朱泾一托", town="朱泾镇", ownership="public", inclusive=True),
                                            SYSTEM).nursery_id
    trained, untrained = [app.registry.register_staff(name=f"保育员{i}", id_number=make_valid(f"31011619900101{i:03d}"),
                                                      registered_by=nursery, actor=SYSTEM).staff_id for i in range(2)]

    def training(staff_id):
        return client.get(f"/v1/staff/{staff_id}/profile", headers=registrar).json()["training"]

    assert training(untrained) is None  # nothing published yet: this service states no rule of its own
    post_training(app, trained, 1, 8.0, year=today().year - 1, required={SKILLS: 60.0, ETHICS: 30.0})
    last_year = training(untrained)  # only an earlier year's requirement is known
    assert (last_year["skills_required"], last_year["ethics_required"], last_year["complete"]) == (60.0, 30.0, False)
    post_training(app, trained, 2, 8.0)
    this_year = training(untrained)
    assert (this_year["skills_hours"], this_year["skills_required"], this_year["ethics_required"]) == (
        0.0, REQUIRED_HOURS[SKILLS], REQUIRED_HOURS[ETHICS])
    assert (this_year["skills_shortfall"], this_year["updated_at"]) == (REQUIRED_HOURS[SKILLS], None)
