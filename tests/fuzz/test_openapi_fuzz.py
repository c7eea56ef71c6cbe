"""An OpenAPI-driven fuzzer (schemathesis) against both services: no 500s, and every
response that the schema documents matches it.

Runs on SQLite (the HTTP contract does not depend on storage); each operation gets a key of
a role its guard admits, so the fuzzer reaches the handlers, not just the 401.

Two kinds of run: each operation alone (``parametrize``), and workflows — schemathesis 4's
stateful testing, which links operations through the schema (it infers OpenAPI links from
the response schemas and path parameters: ``POST /v1/nurseries`` gives the ``nursery_id`` of
``GET /v1/nurseries/{nursery_id}/roster``, a created certificate is renewed, suspended and
revoked ...), so calls reach real records instead of 404s. ``CARECRED_FUZZ_WORKFLOWS``
scenarios per service (default 12) of at most ``CARECRED_FUZZ_STEPS`` calls (default 10).
"""

from __future__ import annotations

import atexit
import datetime as dt
import os
import shutil
import tempfile
import uuid
from pathlib import Path

import pytest
import schemathesis
# schemathesis imports this lazily inside the first generated test, where Hypothesis has
# raised the recursion limit; CPython 3.11's compiler can then fail with "AST constructor
# recursion depth mismatch". Importing it here, before any test runs, avoids the race.
import schemathesis.wfc.escalation  # noqa: F401
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import response_schema_conformance
from schemathesis.checks import not_a_server_error

from contracts.keys import Role
from services.credential.app import create_app as create_credential
from services.credential.application import Credentials
from services.credential.application.common import today
from services.training.app import create_app as create_training
from tests.conftest import issue, make_settings
from tests.integration import certification_world, training_world
from tests.integration.test_access import protected_routes, roles_of


def _seed_credential(service) -> str:
    """A nursery with a certified, assigned worker holding a badge: records the workflows' links lead to."""
    nursery = certification_world.nursery(service, "模糊测试托育园")
    worker = certification_world.person(service, "王丽华", nursery)
    for cert_type in ("nursery_worker", "health"):
        certification_world.certificate(service, worker, cert_type, today() - dt.timedelta(days=30),
                                        today() + dt.timedelta(days=300))
    certification_world.assign(service, worker, nursery, "nursery_worker", today())
    service.badges.keys.ensure({"role": "test"})
    service.badge_issuance.issue_badge(uuid.UUID(worker), nursery_id=uuid.UUID(nursery), id_number=None,
                                       actor={"role": "test"})
    return nursery


def _seed_training(service) -> str:
    """An approved provider with its catalogue, people it knows and a completion."""
    provider = training_world.approve(service)
    people = training_world.learn_people(service, 2)
    service.posting.post_completions(provider, [training_world.completion("SEED-1", people[0])],
                                     training_world.provider_actor(provider))
    return str(provider)


def _prepare(create):
    # Module level, because schemathesis reads the schema when the tests are collected.
    data = Path(tempfile.mkdtemp(prefix="carecred-fuzz-"))
    atexit.register(shutil.rmtree, data, ignore_errors=True)
    app = create(make_settings("sqlite", data))
    service = app.state.service
    scope = {Role.HR: str(uuid.uuid4()), Role.PROVIDER: str(uuid.uuid4())}
    if isinstance(service, Credentials):
        scope[Role.HR] = _seed_credential(service)
    else:
        scope[Role.PROVIDER] = _seed_training(service)
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


def _with_key(keys, case) -> None:
    """Send the case with a key its operation's guard admits (schemathesis draws a random bearer token
    from the security scheme otherwise, and the call stops at the 401)."""
    case.headers = {**(case.headers or {}), **_headers(keys, case)}


class KeyedWorkflow:
    """A schemathesis workflow that sends each call with a key its operation's guard admits."""

    keys: dict = {}

    def before_call(self, case):
        _with_key(self.keys, case)

    def validate_response(self, response, case, additional_checks=None, **kwargs):
        case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs or None)


def _workflow_schema(app):
    """The schema again, generating valid data only: workflows go deep; single calls cover the invalid.

    Without key revocation: a workflow lists the keys and revokes them — the fuzzer's own among
    them, after which every call stops at the 401 (the write fuzz and the single calls cover it).
    """
    schema = schemathesis.openapi.from_asgi("/schema/openapi.json", _without_lifespan(app))
    schema.config.generation.update(modes=["positive"])
    # No literals harvested from the app's modules: that pool is rebuilt from whatever modules are loaded,
    # so a workflow run after other tests (tests/unit imports bench/) drew differently between test cases
    # and hypothesis stopped with FlakyStrategyDefinition. Workflows chain real responses; literals add nothing.
    schema.config.analysis.constants.enabled = False
    return schema.exclude(method="POST", path_regex=r"^/v1/keys/\{[^}]+\}/revoke$")


credential_workflows = _workflow_schema(CREDENTIAL)
training_workflows = _workflow_schema(TRAINING)


class CredentialWorkflow(KeyedWorkflow, credential_workflows.as_state_machine()):
    keys = CREDENTIAL_KEYS


class TrainingWorkflow(KeyedWorkflow, training_workflows.as_state_machine()):
    keys = TRAINING_KEYS


WORKFLOWS = settings(
    max_examples=int(os.environ.get("CARECRED_FUZZ_WORKFLOWS", "12")),
    stateful_step_count=int(os.environ.get("CARECRED_FUZZ_STEPS", "10")),
    deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck),
)


@pytest.mark.parametrize(("machine", "schema"), [(CredentialWorkflow, credential_workflows),
                                                 (TrainingWorkflow, training_workflows)], ids=["credential", "training"])
def test_linked_workflows_find_no_server_error(machine, schema):
    assert schema.statistic.transitions.selected >= 20, "schemathesis found too few links to chain calls"
    machine.run(settings=WORKFLOWS)


@credential_schema.parametrize()
@FUZZ
def test_credential_service_survives_generated_requests(case):
    _with_key(CREDENTIAL_KEYS, case)
    case.call_and_validate(checks=CHECKS)


@training_schema.parametrize()
@FUZZ
def test_training_service_survives_generated_requests(case):
    _with_key(TRAINING_KEYS, case)
    case.call_and_validate(checks=CHECKS)
