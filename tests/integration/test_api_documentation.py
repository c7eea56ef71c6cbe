"""An integrator reads the API from its own document: every operation, every status, examples, offline.

The document is what ``/schema/openapi.json`` publishes (``shared/http/apidocs`` completes
Litestar's). It must be valid OpenAPI 3.1; each operation must say what it does and who may call
it, list every status it answers as problem+json (the 422 naming fields), and show examples that
fit their own schemas; and the statuses the services really answer must be among those listed.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import jsonschema
import pytest
from openapi_spec_validator import validate

from shared.http.apidocs.page import LIB, installed_assets
from tests import api_statuses
from tests.conftest import issue
from shared.idnumber import make_valid

SERVICES = ("credential", "training")
METHODS = ("get", "put", "post", "delete", "patch")


@pytest.fixture(scope="module")
def specs() -> dict[str, dict[str, Any]]:
    return api_statuses.documents()


def each_operation(spec: dict[str, Any]):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield f"{method.upper()} {path}", operation


def fits(value: Any, schema: dict[str, Any], spec: dict[str, Any]) -> None:
    """Validate ``value`` against ``schema``, whose ``#/components/...`` references point into ``spec``."""
    wrapped = {"$schema": "https://json-schema.org/draft/2020-12/schema", "allOf": [schema], "components": spec["components"]}
    jsonschema.Draft202012Validator(wrapped).validate(value)


@pytest.mark.parametrize("service", SERVICES)
def test_the_document_is_valid_openapi_3_1(specs, service):
    spec = specs[service]
    assert spec["openapi"].startswith("3.1")
    validate(spec)  # the OpenAPI 3.1 meta-schema (openapi-spec-validator)


@pytest.mark.parametrize("service", SERVICES)
def test_every_operation_says_what_it_does_and_who_may_call_it(specs, service):
    for name, operation in each_operation(specs[service]):
        summary, description = operation.get("summary", ""), operation.get("description", "")
        assert " " in summary, (name, summary)  # not Litestar's default, the handler's name ("GetStaff")
        assert "thread pool" not in description and not description.startswith(("Needs an API key", "Public: no API key")), (
            f"{name}: give its handler a docstring (or shared/http/apidocs/operations.py a DESCRIPTIONS entry)")
        assert "Public: no API key needed." in description or "roles:" in description or "API key" in description, name


@pytest.mark.parametrize("service", SERVICES)
def test_every_body_sent_or_answered_has_an_example_that_fits_its_schema(specs, service):
    spec = specs[service]
    checked = 0
    for name, operation in each_operation(spec):
        bodies = [("request", media) for media in operation.get("requestBody", {}).get("content", {}).values()]
        bodies += [(status, media) for status, answer in operation["responses"].items()
                   for media in answer.get("content", {}).values()]
        for where, media in bodies:
            examples = [e["value"] for e in media.get("examples", {}).values()] or ([media["example"]] if "example" in media else [])
            assert examples, f"{name} {where}: no example"
            for value in examples:
                fits(value, media["schema"], spec)
                checked += 1
    assert checked > 100


@pytest.mark.parametrize("service", SERVICES)
def test_every_error_is_problem_json_and_a_422_names_the_fields(specs, service):
    spec = specs[service]
    field_error = spec["components"]["schemas"]["FieldError"]
    assert set(field_error["required"]) == {"field", "message", "source"}
    for name, operation in each_operation(spec):
        for status, answer in operation["responses"].items():
            if int(status) < 400:
                continue
            (media_type, media), = answer["content"].items()
            assert media_type == "application/problem+json", (name, status)
            example = next(iter(media["examples"].values()))["value"]
            assert example["status"] == int(status) and example["type"].endswith(example["code"])
            if status == "422":
                assert media["schema"] == {"$ref": "#/components/schemas/ValidationProblem"}, name
                assert example["errors"] and set(example["errors"][0]) == {"field", "message", "source"}
        xapi = name.split(" ")[1].startswith("/xapi/")  # the xAPI spec answers 400 for a bad parameter or header
        assert "400" not in operation["responses"] or "requestBody" in operation or xapi, f"{name}: Litestar's 400 left over"


def test_what_the_services_answer_fits_what_the_document_says(settings, specs, credential_http, training_http):
    """Real answers (success and errors) validate against the documented schema of their status."""
    answers = []
    registrar = issue(credential_http.app.state.service, "registrar")
    answers.append(("credential", "POST", "/v1/nurseries", credential_http.post(
        "/v1/nurseries", json={"name": "文档托育园", "town": "朱泾镇", "ownership": "public", "inclusive": True}, headers=registrar)))
    answers.append(("credential", "POST", "/v1/nurseries", credential_http.post(
        "/v1/nurseries", json={"name": 12, "town": "朱泾镇", "ownership": "public", "inclusive": True}, headers=registrar)))
    answers.append(("credential", "GET", "/v1/staff/{staff_id}", credential_http.get(f"/v1/staff/{uuid.uuid4()}", headers=registrar)))
    answers.append(("credential", "GET", "/v1/staff", credential_http.get("/v1/staff")))
    provider = issue(training_http.app.state.service, "provider", str(uuid.uuid4()))
    answers.append(("training", "POST", "/v1/providers", training_http.post(
        "/v1/providers", json={"code": "SOU", "name": "上海开放大学"}, headers=provider)))
    for service, method, path, response in answers:
        spec = specs[service]
        documented = spec["paths"][path][method.lower()]["responses"]
        assert str(response.status_code) in documented, (method, path, response.status_code)
        (media_type, media), = documented[str(response.status_code)]["content"].items()
        assert response.headers["content-type"].startswith(media_type)
        fits(response.json(), media["schema"], spec)
    assert {r.status_code for *_, r in answers} == {201, 422, 404, 401, 403}


def a_district_story(credential, training) -> None:
    """A registrar, an hr clerk and a provider at work, with the mistakes integrators make."""
    admin, registrar = issue(credential.app.state.service, "admin"), issue(credential.app.state.service, "registrar")
    nursery = credential.post("/v1/nurseries", json={"name": "金山卫镇小太阳托育园", "town": "金山卫镇", "ownership": "private", "inclusive": True},
                              headers=registrar).json()["nursery_id"]
    hr = issue(credential.app.state.service, "hr", nursery)
    person = {"name": "王丽华", "id_number": make_valid("31011619900315123"), "nursery_id": nursery}
    staff_id = credential.post("/v1/staff", json=person, headers=hr).json()["staff_id"]
    credential.post("/v1/staff", json=person, headers=hr)  # 409 already registered
    credential.post("/v1/staff", content=b'{"name": ', headers={**hr, "content-type": "application/json"})  # 400
    credential.post("/v1/staff", json={**person, "id_number": "123"}, headers=hr)  # 422
    credential.get(f"/v1/staff/{staff_id}", headers=hr)
    credential.get(f"/v1/staff/{uuid.uuid4()}", headers=hr)  # 404
    credential.get(f"/v1/staff/{staff_id}/profile", headers=hr)
    credential.get("/v1/certificates/expiring?within=0", headers=hr)  # 422 of a query parameter
    credential.post("/v1/nurseries", json={"name": "x", "town": "朱泾镇", "ownership": "public", "inclusive": False}, headers=hr)  # 403
    credential.get("/v1/keys", headers=admin)
    credential.get("/v1/keys")  # 401
    credential.post("/v1/keys", content=b"{" + b" " * 2_000_000 + b"}", headers={**admin, "content-type": "application/json"})  # 413
    provider_key = issue(training.app.state.service, "registrar")
    provider = training.post("/v1/providers", json={"code": "OU", "name": "上海开放大学"}, headers=provider_key)
    training.get(f"/v1/providers/{provider.json().get('provider_id', uuid.uuid4())}", headers=provider_key)
    training.get(f"/v1/people/{uuid.uuid4()}/training/2026", headers=provider_key)


def test_every_status_a_district_story_sees_is_documented(settings, specs, credential_http, training_http):
    """The check the whole suite makes at its end (tests/api_statuses.py), on one story: runnable alone."""
    with api_statuses.observing() as seen:
        a_district_story(credential_http, training_http)
    undocumented, _ = api_statuses.compare(dict.fromkeys(seen, "a district story"), specs)
    assert undocumented == []
    assert {s.status for s in seen} >= {200, 201, 400, 401, 403, 404, 409, 413, 422}


def test_an_answer_the_document_does_not_list_is_reported(specs):
    made_up = api_statuses.Seen("credential", "GET", "/v1/staff/{staff_id}", 418)
    listed = api_statuses.Seen("credential", "GET", "/v1/staff/{staff_id}", 404)
    undocumented, never = api_statuses.compare({made_up: "a test", listed: "a test"}, specs)
    assert undocumented == ["credential GET /v1/staff/{staff_id} answered 418 (seen in a test)"]
    assert "credential GET /v1/staff/{staff_id} 404" not in never and "credential GET /v1/staff/{staff_id} 200" in never


@pytest.mark.parametrize("service", SERVICES)
def test_the_docs_page_needs_nothing_from_another_origin(request, settings, service):
    client = request.getfixturevalue(f"{service}_http")
    page = client.get("/schema/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    head = page.text.split("<body", 1)[0]
    urls = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page.text)
    assert urls and all(u.startswith("/schema/assets/") or u.startswith("data:") for u in urls), urls
    assert "cdn" not in head and "//" not in re.sub(r"data:[^'\"]*", "", head.replace("https://json-schema", ""))
    if not installed_assets():
        pytest.skip("python -m carecred.webdeps has not fetched swagger-ui-dist")
    for url in urls:
        if url.startswith("/schema/assets/"):
            asset = client.get(url)
            assert asset.status_code == 200, url
            assert asset.content == (LIB / url.rsplit("/", 1)[1]).read_bytes()
    assert client.get("/schema/assets/.installed.json").status_code == 404
    assert client.get("/schema/assets/..%2F__init__.py").status_code == 404


def test_without_its_files_the_docs_page_says_how_to_fetch_them(credential_http, monkeypatch, tmp_path):
    monkeypatch.setattr("shared.http.apidocs.page.LIB", tmp_path)
    page = credential_http.get("/schema/docs").text
    assert "python -m carecred.webdeps" in page and "openapi.json" in page
    assert credential_http.get("/schema/assets/swagger-ui-bundle.js").status_code == 404
