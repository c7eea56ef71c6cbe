"""Hostile bodies get clear 4xx answers and change nothing: never a 500, never a partial write."""

from __future__ import annotations

import json

import pytest

from tests.conftest import issue

NURSERY = {"name": "朱泾一托", "town": "朱泾镇", "ownership": "public", "inclusive": True}


@pytest.fixture
def registrar(credential_http):
    return issue(credential_http.app.state.service, "registrar")


def post_raw(client, path, body: bytes, headers, content_type="application/json"):
    return client.post(path, content=body, headers={**headers, "content-type": content_type})


def assert_nothing_registered(client, headers):
    assert client.get("/v1/nurseries", headers=headers).json() == []
    assert client.get("/v1/staff", headers=headers).json() == []


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000 + b"]" * 100_000,  # deeply nested
        b'{"name": ' + b"[" * 5000 + b"]" * 5000 + b"}",
        b'{"name": "x", "town": "\xff\xfe"}',  # not UTF-8
        b'{"name": "a" "b"}',
        b"null",
        b"",
        b'{"name": 1e999999, "town": "x"}',
    ],
    ids=["deep-array", "deep-field", "bad-utf8", "garbage", "null", "empty", "huge-number"],
)
def test_malformed_or_nested_bodies_are_client_errors(credential_http, registrar, body):
    response = post_raw(credential_http, "/v1/nurseries", body, registrar)
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert_nothing_registered(credential_http, registrar)


@pytest.mark.parametrize(
    "name",
    ["王\u202e芳", "王\u200b芳", "王\x00芳", "王\n芳", "\ufeff王芳", ""],
    ids=["bidi-override", "zero-width", "nul", "newline", "bom", "empty"],
)
def test_unicode_tricks_in_names_are_refused_naming_the_field(credential_http, registrar, name):
    response = credential_http.post("/v1/staff", json={"name": name, "id_number": "11010519491231002X"},
                                    headers=registrar)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "name"
    assert_nothing_registered(credential_http, registrar)


@pytest.mark.parametrize(
    ("field", "value"),
    [("inclusive", 1), ("inclusive", "yes"), ("name", 12), ("ownership", "state"), ("town", None), ("kind", [])],
)
def test_wrong_types_and_values_are_not_coerced(credential_http, registrar, field, value):
    response = credential_http.post("/v1/nurseries", json={**NURSERY, field: value}, headers=registrar)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field
    assert_nothing_registered(credential_http, registrar)


def test_full_width_digits_in_an_id_number_are_refused(credential_http, registrar):
    response = credential_http.post("/v1/staff", json={"name": "王芳", "id_number": "１１０１０５１９４９１２３１００２X"},
                                    headers=registrar)
    assert response.status_code == 422 and response.json()["code"] == "invalid_id_number"


def test_a_form_body_where_json_is_expected_is_refused(credential_http, registrar):
    response = post_raw(credential_http, "/v1/nurseries", b"name=x&town=y", registrar,
                        content_type="application/x-www-form-urlencoded")
    assert 400 <= response.status_code < 500
    assert_nothing_registered(credential_http, registrar)


def test_a_json_array_of_many_items_for_an_object_route_is_refused_cheaply(credential_http, registrar):
    body = json.dumps([NURSERY] * 5000).encode()
    response = post_raw(credential_http, "/v1/nurseries", body, registrar)
    assert response.status_code == 422
    assert_nothing_registered(credential_http, registrar)
