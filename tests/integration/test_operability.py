"""Operators see what happens: request ids in the logs, request and event counts in the metrics."""

from __future__ import annotations

import logging

from tests.conftest import issue


def test_a_request_id_is_echoed_and_logged_with_the_key_but_never_the_token(credential_http, caplog):
    app = credential_http.app.state.service
    headers = issue(app, "registrar")
    token = headers["Authorization"].split()[1]
    with caplog.at_level(logging.INFO, logger="carecred.access"):
        response = credential_http.get("/v1/nurseries", headers={**headers, "X-Request-ID": "inspect-42"})
    assert response.headers["x-request-id"] == "inspect-42"
    (line,) = [r for r in caplog.records if r.name == "carecred.access"]
    assert line.status == 200 and line.path == "/v1/nurseries" and line.role == "registrar"
    assert line.key_id and token not in caplog.text


def test_without_an_incoming_id_one_is_made(credential_http):
    assert len(credential_http.get("/health").headers["x-request-id"]) == 32


def test_metrics_count_requests_and_events_written(credential_http):
    app = credential_http.app.state.service
    headers = issue(app, "registrar")
    credential_http.post("/v1/nurseries", headers=headers,
                         json={"name": "朱泾一托", "town": "朱泾镇", "ownership": "public", "inclusive": True})
    text = credential_http.get("/metrics").text
    assert 'carecred_events_written_total{service="credential"}' in text
    assert "carecred_requests_total" in text and 'path="/v1/nurseries"' in text
    assert "carecred_request_duration_seconds_bucket" in text


# The failed-login limit and who counts as a client: tests/integration/test_client_address.py;
# rejected requests in the log and the metrics: tests/integration/test_rejected_requests.py.


def test_building_an_app_leaves_the_process_logging_alone(settings):
    """An app bound no handler to the sys.stderr of the moment (a test's capture, closed after it):
    logging belongs to whoever runs the process (carecred serve, uvicorn, pytest)."""
    from litestar.testing import TestClient

    from services.credential.app import create_app as credential_app
    from services.training.app import create_app as training_app

    def handlers() -> dict[str, list[logging.Handler]]:
        return {name: list(logging.getLogger(name).handlers) for name in ("", "carecred", "litestar")}

    before = handlers()
    for create_app in (credential_app, training_app):
        with TestClient(create_app(settings)) as client:
            assert client.get("/health").status_code == 200
    assert handlers() == before
