"""An OpenAPI-driven fuzzer (schemathesis) against both services: no 500s, and every
response that the schema documents matches it.

Runs on SQLite (the HTTP contract does not depend on storage); each operation gets a key of
a role its guard admits, so the fuzzer reaches the handlers, not just the 401.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import uuid
from pathlib import Path

import schemathesis
# schemathesis imports this lazily inside the first generated test, where Hypothesis has
# raised the recursion limit; CPython 3.11's compiler can then fail with "AST constructor
# recursion depth mismatch". Importing it here, before any test runs, avoids the race.
import schemathesis.wfc.escalation  # noqa: F401
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import response_schema_conformance
from schemathesis.checks import not_a_server_error

from contracts.keys import Role
from contracts.registry import NewNursery
from services.credential.app import create_app as create_credential
from services.training.app import create_app as create_training
from tests.conftest import issue, make_settings
from tests.integration.test_access import protected_routes, roles_of


def _prepare(create):
    # Module level, because schemathesis reads the schema when the tests are collected.
    data = Path(tempfile.mkdtemp(prefix="carecred-fuzz-"))
    atexit.register(shutil.rmtree, data, ignore_errors=True)
    app = create(make_settings("sqlite", data))
    service = app.state.service
    scope = {Role.HR: str(uuid.uuid4()), Role.PROVIDER: str(uuid.uuid4())}
    if hasattr(service, "register_nursery"):
        scope[Role.HR] = service.register_nursery(
            NewNursery(name="模糊测试托育园", town="朱泾镇", ownership="public", inclusive=True), {"role": "test"}
        ).nursery_id
    keys = {role: issue(service, role, scope.get(role)) for role in Role}
    headers = {}
    for method, path, handler in protected_routes(app):
        allowed = sorted(roles_of(handler), key=lambda r: list(Role).index(r))
        headers[(method, path)] = keys[allowed[0]]
    return app, headers


def _without_lifespan(app):
    """The fuzzer's client runs startup and shutdown around every call; keep the app open."""

    async def asgi(scope, receive, send):
        if scope["type"] == "lifespan":
            while (message := await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        await app(scope, receive, send)

    return asgi


CREDENTIAL, CREDENTIAL_KEYS = _prepare(create_credential)
TRAINING, TRAINING_KEYS = _prepare(create_training)
credential_schema = schemathesis.openapi.from_asgi("/schema/openapi.json", _without_lifespan(CREDENTIAL))
training_schema = schemathesis.openapi.from_asgi("/schema/openapi.json", _without_lifespan(TRAINING))
CHECKS = [not_a_server_error, response_schema_conformance]
FUZZ = settings(max_examples=int(os.environ.get("CARECRED_FUZZ_EXAMPLES", "12")), deadline=None, suppress_health_check=list(HealthCheck))


def _headers(keys, case):
    for (method, path), headers in keys.items():
        if method == case.method.upper() and _same(path, case.operation.path):
            return headers
    return {}


def _same(litestar_path: str, openapi_path: str) -> bool:
    import re

    pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(litestar_path.rstrip("/") or "/"))
    return re.fullmatch(pattern, re.sub(r"\{[^}]+\}", "x", openapi_path.rstrip("/") or "/")) is not None


@credential_schema.parametrize()
@FUZZ
def test_credential_service_survives_generated_requests(case):
    case.call_and_validate(headers=_headers(CREDENTIAL_KEYS, case), checks=CHECKS)


@training_schema.parametrize()
@FUZZ
def test_training_service_survives_generated_requests(case):
    case.call_and_validate(headers=_headers(TRAINING_KEYS, case), checks=CHECKS)
