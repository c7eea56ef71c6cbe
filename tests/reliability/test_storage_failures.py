"""Whatever way the storage fails — refused, timed out, pool exhausted, a library error class —
a caller gets 503 with Retry-After and a problem+json body, never a 500; also when the failure
happens while the API key is being checked."""

from __future__ import annotations

import eventsourcing.persistence as es
import psycopg
import psycopg_pool
import pytest
from litestar.testing import TestClient

from services.credential.app import create_app
from tests.conftest import issue, make_settings

FAILURES = [
    psycopg_pool.PoolTimeout("couldn't get a connection after 2.00 sec"),
    psycopg.OperationalError("connection refused"),
    psycopg.InterfaceError("the connection is closed"),
    es.OperationalError("server closed the connection unexpectedly"),
    es.InterfaceError("connection lost"),
    es.InternalError("current transaction is aborted"),
    es.DatabaseError("database error"),
    es.PersistenceError("unknown driver error"),
    es.ConnectionUnavailableError("no connection"),
]


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    settings = make_settings("sqlite", tmp_path_factory.mktemp("storage"))
    with TestClient(create_app(settings)) as client:
        yield client


def _raise(exc: Exception):
    def fail(*_args, **_kwargs):
        raise exc

    return fail


def _is_storage_503(response) -> bool:
    return (
        response.status_code == 503
        and int(response.headers["retry-after"]) > 0
        and response.headers["content-type"].startswith("application/problem+json")
        and response.json()["code"] == "storage_unavailable"
    )


@pytest.mark.parametrize("failure", FAILURES, ids=lambda e: type(e).__name__)
def test_a_storage_failure_while_checking_the_key_is_a_503(client, monkeypatch, failure):
    service = client.app.state.service
    headers = issue(service, "admin")
    monkeypatch.setattr(service, "authenticate_at", _raise(failure))
    response = client.get("/v1/keys", headers=headers)
    assert _is_storage_503(response), (response.status_code, response.text)


@pytest.mark.parametrize("failure", FAILURES, ids=lambda e: type(e).__name__)
def test_a_storage_failure_inside_a_handler_is_a_503(client, monkeypatch, failure):
    service = client.app.state.service
    headers = issue(service, "admin")
    monkeypatch.setattr(service, "list_keys", _raise(failure))
    response = client.get("/v1/keys", headers=headers)
    assert _is_storage_503(response), (response.status_code, response.text)


def test_a_concurrent_write_is_still_a_409_not_a_503(client, monkeypatch):
    service = client.app.state.service
    headers = issue(service, "admin")
    monkeypatch.setattr(service, "list_keys", _raise(es.IntegrityError("duplicate key")))
    response = client.get("/v1/keys", headers=headers)
    assert response.status_code == 409 and response.json()["code"] == "concurrent_modification"
