"""A provider's learning platform reports completions as xAPI statements (the training service as an LRS)."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid

from contracts.keys import Role
from services.training.application.xapi_mapping import course_activity_iri
from tests.conftest import issue
from tests.integration.training_world import MID_2025, approve, completion, learn_people

V2 = {"X-Experience-API-Version": "2.0.0"}
COMPLETED = "http://adlnet.gov/expapi/verbs/completed"


def basic(headers: dict[str, str]) -> dict[str, str]:
    """The provider's key as an LRS client sends it: HTTP Basic, the key as the password."""
    token = headers["Authorization"].removeprefix("Bearer ")
    return {"Authorization": "Basic " + base64.b64encode(f"SOU:{token}".encode()).decode(), **V2}


BEARERS: dict[str, dict[str, str]] = {}
"""The Bearer header of each provider key handed out as Basic credentials (for the /v1/ routes)."""


def bearer_of(auth: dict[str, str]) -> dict[str, str]:
    return BEARERS[auth["Authorization"]]


def world(client):
    app = client.app.state.service
    provider_id = approve(app)
    people = learn_people(app, 2)
    key = issue(app, Role.PROVIDER, str(provider_id))
    BEARERS[basic(key)["Authorization"]] = key
    return app, provider_id, people, basic(key)


def statement(app, person: str, course: str = "SK01", verb: str = COMPLETED, **extra):
    home = app.settings.district_home_page
    return {
        "actor": {"objectType": "Agent", "account": {"homePage": home, "name": person}},
        "verb": {"id": verb, "display": {"en-US": "completed"}},
        "object": {"id": course_activity_iri(home, "SOU", course), "objectType": "Activity"},
        "timestamp": MID_2025, **extra,
    }


def skills(client, app, person: str, auth) -> float:
    registrar = issue(app, Role.REGISTRAR)
    return client.get(f"/v1/people/{person}/training/2025", headers=registrar).json()["skills"]["earned"]


def test_a_completed_statement_counts_and_its_voiding_reverses_it(training_http):
    app, provider_id, (person, _), auth = world(training_http)
    sid = str(uuid.uuid4())
    answer = training_http.put(f"/xapi/statements?statementId={sid}", json=statement(app, person), headers=auth)
    assert answer.status_code == 204, answer.text
    assert skills(training_http, app, person, auth) == 8
    again = training_http.put(f"/xapi/statements?statementId={sid}", json=statement(app, person), headers=auth)
    assert again.status_code == 204
    assert skills(training_http, app, person, auth) == 8
    other = training_http.put(f"/xapi/statements?statementId={sid}", json=statement(app, person, "SK02"), headers=auth)
    assert other.status_code == 409
    stored = training_http.get(f"/xapi/statements?statementId={sid}", headers=auth)
    assert stored.status_code == 200 and stored.json()["id"] == sid
    assert "X-Experience-API-Consistent-Through" in stored.headers
    voiding = {**statement(app, person, verb="http://adlnet.gov/expapi/verbs/voided"),
               "object": {"objectType": "StatementRef", "id": sid}}
    posted = training_http.post("/xapi/statements", json=voiding, headers=auth)
    assert posted.status_code == 200, posted.text
    assert skills(training_http, app, person, auth) == 0
    assert training_http.get(f"/xapi/statements?statementId={sid}", headers=auth).status_code == 404
    assert training_http.get(f"/xapi/statements?voidedStatementId={sid}", headers=auth).json()["id"] == sid


def test_each_catalogued_course_has_its_activity_iri(training_http):
    app, provider_id, _, auth = world(training_http)
    courses = training_http.get(f"/v1/providers/{provider_id}/courses", headers=bearer_of(auth)).json()
    sk01 = next(c for c in courses if c["code"] == "SK01")
    assert sk01["activity_iri"] == f"{app.settings.district_home_page}/xapi/activities/SOU/SK01"
    assert sk01["activity_iri"] == statement(app, "x")["object"]["id"]


def test_statements_that_are_not_completions_are_stored_and_listed_as_not_counted(training_http):
    app, provider_id, (person, _), auth = world(training_http)
    posted = training_http.post("/xapi/statements", json=[
        statement(app, person, verb="http://adlnet.gov/expapi/verbs/attempted"),
        statement(app, person, course="NOPE"),
        {**statement(app, person), "actor": {"mbox": "mailto:someone@example.com"}},
        statement(app, str(uuid.uuid4())),
    ], headers=auth)
    assert posted.status_code == 200, posted.text
    listed = training_http.get("/v1/xapi/not-counted", headers=bearer_of(auth))
    reasons = [item["reason"] for item in listed.json()["items"]]
    assert len(reasons) == 4
    assert "not completed or passed" in reasons[0] and "catalogued courses" in reasons[1]
    assert "account" in reasons[2] and "unknown_person" in reasons[3]
    everything = training_http.get("/xapi/statements", headers=auth).json()
    assert len(everything["statements"]) == 4 and everything["more"] == ""


def test_the_json_api_and_xapi_give_the_same_ledger(training_http):
    app, provider_id, (first, second), auth = world(training_http)
    for course in ("SK01", "SK02", "ET01", "SK01"):
        training_http.post("/xapi/statements", json=statement(app, first, course), headers=auth)
    for i, course in enumerate(("SK01", "SK02", "ET01", "SK01")):
        app.posting.post_completions(provider_id, [completion(f"json-{i}", second, course, hours=8 if course[0] == "S" else 4)],
                                     {"role": "provider"})
    registrar = issue(app, Role.REGISTRAR)
    years = [training_http.get(f"/v1/people/{p}/training/2025", headers=registrar).json() for p in (first, second)]
    assert years[0]["skills"] == years[1]["skills"] and years[0]["ethics"] == years[1]["ethics"]
    assert [e["status"] for e in years[0]["entries"]] == [e["status"] for e in years[1]["entries"]]


def test_a_provider_sees_only_its_own_statements(training_http):
    app, provider_id, (person, _), auth = world(training_http)
    other_id = approve(app, code="OTH", name="另一家")
    other = basic(issue(app, Role.PROVIDER, str(other_id)))
    sid = str(uuid.uuid4())
    training_http.put(f"/xapi/statements?statementId={sid}", json=statement(app, person), headers=auth)
    assert training_http.get(f"/xapi/statements?statementId={sid}", headers=other).status_code == 404
    assert training_http.get("/xapi/statements", headers=other).json()["statements"] == []
    hr = basic(issue(app, Role.HR, "6f1c0e0a-0000-4000-8000-000000000001"))
    assert training_http.get("/xapi/statements", headers=hr).status_code == 403
    assert training_http.get("/xapi/statements", headers=V2).status_code == 401


def test_bad_statements_are_refused_whole_and_nothing_is_stored(training_http):
    app, provider_id, (person, _), auth = world(training_http)
    bad = {**statement(app, person), "actor": {"mbox": "someone@example.com"}}
    answer = training_http.post("/xapi/statements", json=[statement(app, person), bad], headers=auth)
    assert answer.status_code == 400 and "actor.mbox" in answer.text
    assert training_http.get("/xapi/statements", headers=auth).json()["statements"] == []
    assert skills(training_http, app, person, auth) == 0
    no_version = {"Authorization": auth["Authorization"]}
    assert training_http.post("/xapi/statements", json=statement(app, person), headers=no_version).status_code == 400


def test_attachments_travel_in_multipart(training_http):
    app, provider_id, (person, _), auth = world(training_http)
    content = "证书".encode()
    sha2 = hashlib.sha256(content).hexdigest()
    body = {**statement(app, person), "attachments": [{
        "usageType": "http://example.com/certificate", "display": {"zh-CN": "证书"}, "contentType": "text/plain",
        "length": len(content), "sha2": sha2}]}
    multipart = (b"--B\r\nContent-Type: application/json\r\n\r\n" + json.dumps(body).encode() + b"\r\n--B\r\n"
                 b"Content-Type: text/plain\r\nContent-Transfer-Encoding: binary\r\nX-Experience-API-Hash: "
                 + sha2.encode() + b"\r\n\r\n" + content + b"\r\n--B--\r\n")
    posted = training_http.post("/xapi/statements", content=multipart,
                                headers={**auth, "Content-Type": "multipart/mixed; boundary=B"})
    assert posted.status_code == 200, posted.text
    back = training_http.get(f"/xapi/statements?statementId={posted.json()[0]}&attachments=true", headers=auth)
    assert back.headers["content-type"].startswith("multipart/mixed") and content in back.content


def test_another_provider_can_neither_void_nor_count_for_someone_elses_statements(training_http):
    app, provider_id, (person, _), auth = world(training_http)
    sid = str(uuid.uuid4())
    assert training_http.put(f"/xapi/statements?statementId={sid}", json=statement(app, person), headers=auth).status_code == 204
    other_id = approve(app, code="OTH", name="另一家")
    other_key = issue(app, Role.PROVIDER, str(other_id))
    other = basic(other_key)
    voiding = {**statement(app, person, verb="http://adlnet.gov/expapi/verbs/voided"),
               "object": {"objectType": "StatementRef", "id": sid}}
    assert training_http.post("/xapi/statements", json=voiding, headers=other).status_code == 200
    sou_course = statement(app, person, "SK02")  # SOU's course IRI, sent by the other provider
    assert training_http.post("/xapi/statements", json=sou_course, headers=other).status_code == 200
    assert skills(training_http, app, person, auth) == 8  # SOU's completion stands; the other counted nothing
    assert training_http.get(f"/xapi/statements?statementId={sid}", headers=auth).status_code == 200
    reasons = [i["reason"] for i in training_http.get("/v1/xapi/not-counted", headers=other_key).json()["items"]]
    assert reasons == [reasons[0]] and "catalogued courses" in reasons[0]


def test_a_statement_id_already_used_by_the_json_api_for_something_else_is_not_counted(training_http):
    app, provider_id, (person, other_person), auth = world(training_http)
    sid = str(uuid.uuid4())
    app.posting.post_completions(provider_id, [completion(sid, other_person, "SK01")], {"role": "provider"})
    assert training_http.put(f"/xapi/statements?statementId={sid}", json=statement(app, person), headers=auth).status_code == 204
    (item,) = training_http.get("/v1/xapi/not-counted", headers=bearer_of(auth)).json()["items"]
    assert item["statement_id"] == sid and "already used for a different completion" in item["reason"]
    assert skills(training_http, app, person, auth) == 0


def test_a_put_whose_body_names_another_id_is_refused(training_http):
    app, provider_id, (person, _), auth = world(training_http)
    body = {**statement(app, person), "id": str(uuid.uuid4())}
    answer = training_http.put(f"/xapi/statements?statementId={uuid.uuid4()}", json=body, headers=auth)
    assert answer.status_code == 400 and training_http.get("/xapi/statements", headers=auth).json()["statements"] == []
