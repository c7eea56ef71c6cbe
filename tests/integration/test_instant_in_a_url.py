"""An auditor types ``?as_of=2026-03-01T08:00:00+08:00`` into a URL, as docs/audit.md shows it.

In a query string an unencoded ``+`` means a space, so the service receives
``2026-03-01T08:00:00 08:00``. A time, a space and ``HH:MM`` can only be a positive offset whose
sign was lost, so every route taking an instant reads it as ``+08:00`` and answers exactly as
for ``%2B08:00``; anything else that is not an instant is refused naming the query parameter
and saying how to write ``+``.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

import pytest

from contracts.keys import Role
from shared.idnumber import make_valid
from tests.conftest import issue

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
NURSERY = {"name": "朱泾一托", "town": "朱泾镇", "ownership": "public", "inclusive": True}
INSTANT_ROUTES = {
    "credential": {("/v1/staff/{staff_id}/profile", "as_of"), ("/v1/nurseries/{nursery_id}/roster", "as_of"),
                   ("/v1/audit/aggregates/{aggregate_id}", "as_of"), ("/v1/audit/people/{staff_id}/timeline", "as_of"),
                   ("/v1/district/figures", "as_of"), ("/v1/district/targets", "as_of"), ("/v1/nurseries/on", "as_of")},
    "training": {("/v1/audit/aggregates/{aggregate_id}", "as_of")},
}


def routes_taking_an_instant(client) -> set[tuple[str, str]]:
    """Every GET route whose OpenAPI schema has a date-time query parameter."""
    schema = client.get("/schema/openapi.json").json()
    return {(path, parameter["name"]) for path, item in schema["paths"].items()
            for parameter in item.get("get", {}).get("parameters", [])
            if parameter["in"] == "query" and _is_instant(parameter["schema"])}


def answer(response) -> object:
    """The body, without the moment it was computed (the targets say when: it differs between two calls)."""
    body = response.json()
    return {k: v for k, v in body.items() if k != "computed_at"} if isinstance(body, dict) else body


def _is_instant(schema: dict) -> bool:
    return schema.get("format") == "date-time" or any(_is_instant(s) for s in schema.get("oneOf", []))


@pytest.fixture
def worlds(credential_http, training_http):
    """Each service with an auditor key and an id for every path parameter its instant routes take."""
    credential = credential_http.app.state.service
    registrar, auditor = issue(credential, Role.REGISTRAR), issue(credential, Role.AUDITOR)
    assert credential_http.get("/v1/policy", headers=registrar).status_code == 200  # the shipped policy, adopted
    nursery = credential_http.post("/v1/nurseries", json=NURSERY, headers=registrar).json()["nursery_id"]
    person = credential_http.post("/v1/staff", headers=registrar, json={
        "name": "王丽华", "id_number": make_valid("31011619880512002"), "nursery_id": nursery}).json()["staff_id"]
    training = training_http.app.state.service
    provider = training_http.post("/v1/providers", headers=issue(training, Role.REGISTRAR),
                                  json={"code": "SOU", "name": "上海开放大学"}).json()["provider_id"]
    return {
        "credential": (credential_http, auditor, {"staff_id": person, "nursery_id": nursery, "aggregate_id": person}),
        "training": (training_http, issue(training, Role.AUDITOR), {"aggregate_id": provider}),
    }


def test_every_route_taking_an_instant_reads_a_plus_that_became_a_space_as_the_offset_sign(worlds):
    later = dt.datetime.now(SHANGHAI).isoformat()  # after the worlds were recorded
    assert later.endswith("+08:00")
    for service, (client, auditor, ids) in worlds.items():
        assert routes_taking_an_instant(client) == INSTANT_ROUTES[service]
        for path, parameter in INSTANT_ROUTES[service]:
            url = path.format(**ids)
            encoded = client.get(f"{url}?{parameter}={quote(later)}", headers=auditor)
            assert encoded.status_code == 200, (service, url, encoded.text)
            for written in (later, later.replace("+", " "), later.replace("T", " ")):
                as_typed = client.get(f"{url}?{parameter}={written}", headers=auditor)  # the + unencoded
                assert (as_typed.status_code, answer(as_typed)) == (200, answer(encoded)), (service, url, written)


def test_an_instant_that_is_not_one_is_refused_naming_the_query_parameter_and_how_to_write_plus(worlds):
    almost = ["2026-03-01T08:00:00 8:00", "2026-03-01T08:00:00  08:00", "2026-03-01 08:00", "2026-03-01T08:00:00 08:00 ",
              "2026-03-01T08:00:00 08:00Z", " 2026-03-01T08:00:00 08:00"]
    not_even_close = ["yesterday", "2026-03-01T08:00:00 ０８:００", "2026-03-01T08:00:00\x0008:00", "9" * 65]
    for service, (client, auditor, ids) in worlds.items():
        for path, parameter in INSTANT_ROUTES[service]:
            for text in almost + not_even_close:
                response = client.get(path.format(**ids), params={parameter: text}, headers=auditor)
                assert response.status_code == 422, (service, path, text, response.text)
                assert response.headers["content-type"].startswith("application/problem+json")
                problem = response.json()
                assert [(e["field"], e["source"]) for e in problem["errors"]] == [(parameter, "query")], problem
                if text in almost:  # written with an instant's characters: say how to write its +
                    assert "%2B" in problem["detail"], problem


def test_a_negative_offset_and_z_keep_their_meaning(worlds):
    client, auditor, ids = worlds["credential"]
    url = f"/v1/audit/aggregates/{ids['aggregate_id']}"
    now = dt.datetime.now(dt.UTC)
    answers = [client.get(url, params={"as_of": now.astimezone(zone).isoformat()}, headers=auditor).json()
               for zone in (dt.UTC, dt.timezone(dt.timedelta(hours=-5)), SHANGHAI)]
    assert answers[0] == answers[1] == answers[2]
    before = client.get(url, params={"as_of": "2020-01-01T00:00:00-05:00"}, headers=auditor)
    assert before.status_code == 404  # nothing was recorded yet then
