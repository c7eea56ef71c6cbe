"""Every rejected request is seen by the operator like any other: its real status in the access log,
its X-Request-ID echoed, and a count in /metrics — including those refused before a handler runs
(no key, too many failed logins, a path no route matches), which once were logged as 500, lost
their request id and were missing from the metrics."""

from __future__ import annotations

import json
import logging
import uuid

import msgspec
import pytest
from litestar.testing import TestClient
from prometheus_client.parser import text_string_to_metric_families

from contracts.keys import Role
from services.credential.app import create_app as credential_app
from services.training.app import create_app as training_app
from shared.http.observability import UNMATCHED, JsonFormatter
from tests.conftest import bearer, issue

FACTORIES = {"credential": credential_app, "training": training_app}


@pytest.fixture(params=["credential", "training"])
def client(request, settings):
    """A service whose failed-login limit is 2, so a 429 is reachable."""
    strict = msgspec.structs.replace(settings, auth_failures_per_minute=2)
    with TestClient(FACTORIES[request.param](strict)) as client:
        yield client


def requests_counted(client, method: str, path: str, status: int) -> float:
    service = client.app.state.service.service
    for family in text_string_to_metric_families(client.get("/metrics").text):
        if family.name == "carecred_requests":
            for sample in family.samples:
                if sample.name == "carecred_requests_total" and sample.labels == {
                    "method": method, "path": path, "status_code": str(status), "app_name": service}:
                    return sample.value
    return 0.0


def rejections(client) -> list[tuple[int, str, str, str, dict]]:
    """(status, method, request path, metrics path label, request kwargs) of one rejection of each kind."""
    service = client.app.state.service
    admin, inspector = issue(service, Role.ADMIN), issue(service, Role.INSPECTOR)
    unknown = str(uuid.uuid4())
    return [
        (401, "GET", "/v1/keys", "/v1/keys", {}),
        (401, "GET", "/v1/keys", "/v1/keys", {"headers": bearer("cc_guess")}),
        (429, "GET", "/v1/keys", "/v1/keys", {"headers": bearer("cc_guess")}),  # the third failure: limit is 2
        (403, "POST", "/v1/keys", "/v1/keys", {"headers": inspector, "json": {"role": "admin", "name": "x"}}),
        (404, "POST", f"/v1/keys/{unknown}/revoke", "/v1/keys/{key_id}/revoke",
         {"headers": admin, "json": {"reason": "x"}}),
        (404, "GET", "/v1/no/such/route", UNMATCHED, {"headers": admin}),
        (404, "GET", "/%00", UNMATCHED, {}),
        (405, "DELETE", "/health", UNMATCHED, {}),
        (413, "POST", "/v1/keys", "/v1/keys", {"headers": admin, "content": b"{" + b" " * 2_000_000 + b"}"}),
        (422, "POST", "/v1/keys", "/v1/keys", {"headers": admin, "json": {"role": "admin"}}),
    ]


def test_every_rejection_is_logged_with_its_status_echoes_its_request_id_and_is_counted(client, caplog):
    formatter = JsonFormatter()
    for status, method, path, label, kwargs in rejections(client):
        before = requests_counted(client, method, label, status)
        request_id = f"reject-{status}-{uuid.uuid4().hex[:8]}"
        headers = {**kwargs.pop("headers", {}), "X-Request-ID": request_id}
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="carecred.access"):
            response = client.request(method, path, headers=headers, **kwargs)
        assert response.status_code == status, (method, path, response.text)
        assert response.headers["x-request-id"] == request_id, (method, path)
        (line,) = [r for r in caplog.records if r.name == "carecred.access"]
        logged = json.loads(formatter.format(line))
        assert (logged["status"], logged["request_id"], logged["method"]) == (status, request_id, method)
        assert logged["client"] == "testclient"
        if status in (401, 429):
            assert logged["key_id"] is None and logged["role"] is None
        if status == 403:
            assert logged["role"] == "inspector" and logged["key_id"]
        assert requests_counted(client, method, label, status) == before + 1, (method, path, status)


def test_a_rejected_key_is_counted_as_an_auth_failure(client):
    def failures() -> float:
        text = client.get("/metrics").text
        service = client.app.state.service.service
        return sum(s.value for f in text_string_to_metric_families(text) for s in f.samples
                   if s.name == "carecred_auth_failures_total" and s.labels == {"service": service})

    before = failures()
    client.get("/v1/keys", headers=bearer("cc_guess"))
    client.get("/v1/keys")
    assert failures() == before + 2
