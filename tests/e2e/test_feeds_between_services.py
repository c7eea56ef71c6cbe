"""The two services as real processes, each following the other's feed with exactly-once effect."""

from __future__ import annotations

import base64
import datetime as dt
import json
import time
import urllib.request
import uuid

import pytest

from carecred.services import open_application
from contracts.keys import Role
from services.credential.application import Credentials
from services.training.application.xapi_mapping import course_activity_iri
from shared.auth.keys import new_token
from shared.settings import Settings
from tests.e2e.district_setup import TODAY, completion, ok, roster_hours, seed
from tests.e2e.processes import District, wait_until


@pytest.fixture
def district(settings, tmp_path):
    district = District(settings, tmp_path)
    district.issue_service_keys(open_application)
    admin, registrar = new_token(), new_token()
    for service in ("credential", "training"):
        app = open_application(service, settings)
        try:
            app.issue_key(role=Role.ADMIN, scope=None, name="admin", actor={"role": "test"}, token=admin)
            app.issue_key(role=Role.REGISTRAR, scope=None, name="bureau", actor={"role": "test"}, token=registrar)
        finally:
            app.close()
    district.admin, district.registrar = admin, registrar
    district.start("credential")
    district.start("training")
    yield district
    district.stop_all()


def test_a_completion_posted_to_training_appears_in_the_nurserys_roster(district):
    credential, training = district.processes["credential"], district.processes["training"]
    d = seed(credential, training, district.admin, district.registrar, people=1, courses=1)
    (staff_id,) = d.staff_ids
    ok(training.request("POST", f"/v1/providers/{d.provider_id}/completions",
                        completion(d, 1, staff_id, d.courses[0]), d.provider), 201)
    wait_until(lambda: roster_hours(credential, d)[staff_id] == 2.0, what="the roster to show 2 hours")
    status, roster = credential.request("GET", f"/v1/nurseries/{d.nursery_id}/roster", token=d.hr)
    (entry,) = roster["entries"]
    assert entry["compliant"] is True
    assert entry["training"]["skills_shortfall"] == 70.0 and entry["training"]["ethics_shortfall"] == 40.0
    assert roster["training_as_of"] and roster["certificates_as_of"] and roster["training_year"] == TODAY.year
    ready = credential.get("/ready")
    assert ready["followers"][0]["lag"] == 0 and ready["followers"][0]["error"] is None


def test_killing_the_credential_service_mid_stream_applies_every_event_exactly_once(district, settings):
    credential, training = district.processes["credential"], district.processes["training"]
    d = seed(credential, training, district.admin, district.registrar, people=3, courses=4)
    posted = 0
    for course in d.courses:
        for staff_id in d.staff_ids:
            posted += 1
            ok(training.request("POST", f"/v1/providers/{d.provider_id}/completions",
                                completion(d, posted, staff_id, course), d.provider), 201)
            if posted == 5:
                # Let the follower get part-way through, then crash it without warning.
                wait_until(lambda: sum(roster_hours(credential, d).values()) > 0, what="first completions")
                credential.kill()
    assert credential.process.poll() is not None
    credential.start()
    wait_until(lambda: set(roster_hours(credential, d).values()) == {8.0}, timeout=30,
               what="every person to reach 4 courses x 2 hours")
    credential.stop()
    app = Credentials(settings)
    try:
        rows = app.store.query("SELECT completion_id FROM training_entries")
        assert len(rows) == posted == len({r["completion_id"] for r in rows})
    finally:
        app.close()


def test_training_keeps_accepting_while_credential_is_down_and_the_roster_catches_up(district):
    credential, training = district.processes["credential"], district.processes["training"]
    d = seed(credential, training, district.admin, district.registrar, people=2, courses=2)
    credential.stop()
    for n, (staff_id, course) in enumerate(((s, c) for s in d.staff_ids for c in d.courses), start=1):
        ok(training.request("POST", f"/v1/providers/{d.provider_id}/completions",
                            completion(d, n, staff_id, course), d.provider), 201)
    assert training.get("/ready")["status"] == "ready"  # its own API keeps serving
    time.sleep(0.5)
    follower = training.get("/ready")["followers"][0]
    assert follower["error"]  # it knows the credential service is unreachable
    credential.start()
    wait_until(lambda: set(roster_hours(credential, d).values()) == {4.0}, timeout=30,
               what="the roster to catch up after the restart")


def _xapi(training, key: str, statement: dict) -> int:
    """POST one statement as a learning platform does: HTTP Basic with the provider's key, the version header."""
    credentials = base64.b64encode(f"SOU:{key}".encode()).decode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{training.port}/xapi/statements", data=json.dumps(statement).encode(), method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Basic {credentials}",
                 "X-Experience-API-Version": "2.0.0"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status


def test_a_statement_from_a_learning_platform_and_its_voiding_move_the_roster(district):
    credential, training = district.processes["credential"], district.processes["training"]
    d = seed(credential, training, district.admin, district.registrar, people=1, courses=1)
    (staff_id,) = d.staff_ids
    home = Settings().district_home_page
    statement_id = str(uuid.uuid4())
    assert _xapi(training, d.provider, {
        "id": statement_id,
        "actor": {"account": {"homePage": home, "name": staff_id}},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
        "object": {"id": course_activity_iri(home, "SOU", d.courses[0])},
        "timestamp": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }) == 200
    wait_until(lambda: roster_hours(credential, d)[staff_id] == 2.0, what="the roster to show the statement's 2 hours")
    assert _xapi(training, d.provider, {
        "actor": {"account": {"homePage": home, "name": staff_id}},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
        "object": {"objectType": "StatementRef", "id": statement_id},
    }) == 200
    wait_until(lambda: roster_hours(credential, d)[staff_id] == 0.0, what="the voiding to take the hours back")
