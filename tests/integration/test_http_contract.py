"""Both services answer every error as problem+json with a stable code, and decode bodies strictly."""

import pytest

from tests.conftest import issue

PROBLEM = "application/problem+json"
NURSERY = {"name": "朱泾一托", "town": "朱泾镇", "ownership": "public", "inclusive": True}


@pytest.fixture(params=["credential", "training"])
def client(request, settings):
    return request.getfixturevalue(f"{request.param}_http")


def test_health_and_ready_need_no_key(client):
    assert client.get("/health").json()["status"] == "alive"
    assert client.get("/ready").json()["status"] == "ready"


def test_openapi_json_and_docs_page_are_published(client):
    spec = client.get("/schema/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    assert "/v1/keys" in spec["paths"]
    assert client.get("/schema/docs").text.lstrip().lower().startswith("<!doctype html>")


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [("get", "/no/such/route", 404, "not_found"), ("delete", "/health", 405, "method_not_allowed")],
)
def test_routing_errors_are_problem_details(client, method, path, status, code):
    response = getattr(client, method)(path)
    assert response.status_code == status
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["code"] == code and body["status"] == status and body["type"].endswith(code)


def test_a_missing_key_is_401_with_a_bearer_challenge(client):
    response = client.get("/v1/keys")
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["code"] == "unauthenticated"


def test_a_body_above_the_limit_is_413(client):
    headers = issue(client.app.state.service, "admin")
    response = client.post("/v1/keys", content=b"{" + b" " * 2_000_000 + b"}", headers=headers)
    assert response.status_code == 413
    assert response.json()["code"] == "body_too_large"


def test_malformed_json_is_400(client):
    headers = {**issue(client.app.state.service, "admin"), "content-type": "application/json"}
    response = client.post("/v1/keys", content=b'{"role": ', headers=headers)
    assert response.status_code == 400 and response.json()["code"] == "malformed_body"


def test_a_wrongly_typed_field_is_not_coerced_and_is_named(credential_http):
    headers = issue(credential_http.app.state.service, "registrar")
    response = credential_http.post("/v1/nurseries", json={**NURSERY, "inclusive": "true"}, headers=headers)
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "inclusive", "message": "Expected `bool`, got `str`", "source": "body"}]
    assert credential_http.get("/v1/nurseries", headers=headers).json() == []


def test_an_unknown_field_is_refused_and_named(credential_http):
    headers = issue(credential_http.app.state.service, "registrar")
    response = credential_http.post("/v1/nurseries", json={**NURSERY, "director": "王园长"}, headers=headers)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "director"


def test_a_missing_field_is_named(credential_http):
    headers = issue(credential_http.app.state.service, "registrar")
    body = {k: v for k, v in NURSERY.items() if k != "ownership"}
    response = credential_http.post("/v1/nurseries", json=body, headers=headers)
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "ownership"


def test_a_bad_query_parameter_is_named(credential_http):
    headers = issue(credential_http.app.state.service, "registrar")
    response = credential_http.get("/v1/staff?limit=lots", headers=headers)
    assert response.status_code == 422
    assert response.json()["errors"][0] == {"field": "limit", "message": "Expected `int`, got `str`", "source": "query"}


def test_a_bad_id_number_is_422_naming_the_field(credential_http):
    headers = issue(credential_http.app.state.service, "registrar")
    response = credential_http.post("/v1/staff", json={"name": "王芳", "id_number": "110105194912310021"}, headers=headers)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid_id_number" and body["errors"][0]["field"] == "id_number"
    assert "110105194912310021" not in response.text.replace(body["detail"], "")
