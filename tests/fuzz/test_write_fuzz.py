"""Every write route of both services, fed hostile bodies: either 2xx and every projection has
applied what was stored, or 4xx and nothing was stored. Never a 5xx.

The routes are enumerated from the apps' own handlers (as ``tests/integration/test_access.py``
does), so a new write route is fuzzed the day it is added. Bodies come from the route's
``data`` type (``tests/fuzz/strategies.py``). Each route gets ``CARECRED_FUZZ_WRITES`` examples
(default 8: a few hundred requests over both services and storages), derandomized so CI is
repeatable; raise it locally to search harder.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import uuid
from collections import Counter
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts.keys import Role
from services.credential.domain.nursery import JINSHAN_AREAS
from services.credential.application.common import today
from shared.http.auth import PUBLIC
from shared.idnumber import make_valid
from tests.conftest import issue
from tests.fuzz.strategies import body_for, encoded, instants
from tests.integration.test_access import roles_of
from tests.integration.training_world import ETHICS_COURSES, SKILLS_COURSES, approve, id_number, learn_people

EXAMPLES = int(os.environ.get("CARECRED_FUZZ_WRITES", "8"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
SYSTEM = {"role": "test"}


def write_routes(app) -> list[tuple[str, str, Any]]:
    """(method, path, handler) of every route that may write, with a key-guarded handler."""
    found = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if handler.opt.get(PUBLIC):
                continue
            for method in sorted(handler.http_methods & WRITES):
                found.append((method, route.path, handler))
    return found


def head(app) -> int:
    return app.recorder.max_notification_id() or 0


def check_outcome(client, response, before: int, what: str) -> None:
    """2xx: every projector applied the log up to its head and reads still answer; 4xx: the log did not move."""
    app = client.app.state.service
    client.outcomes[response.status_code // 100] += 1
    assert response.status_code < 500, f"{what}: {response.status_code} {response.text[:300]}"
    assert not app.stalled_read_models(), f"{what}: a read model stalled"
    if response.status_code >= 400:
        assert head(app) == before, f"{what}: answered {response.status_code} but stored an event"
        return
    for projector in app.projectors():
        projector.catch_up()  # raises if a projection cannot apply what was stored
        assert projector.position() == head(app), f"{what}: {type(projector).__name__} is behind the log"
    for path in client.reads:
        read = client.get(path, headers=client.keys[Role.AUDITOR])
        assert read.status_code == 200, f"after {what}: GET {path} answered {read.status_code} {read.text[:200]}"


def path_values(client) -> dict[str, list[str]]:
    return {name: [*values, str(uuid.uuid4())] for name, values in client.ids.items()}


def fill(path: str, chosen: dict[str, str]) -> str:
    return re.sub(r"\{([^}:]+)(:[^}]*)?\}", lambda m: chosen[m.group(1)], path)


def fuzz_routes(client) -> None:
    routes = write_routes(client.app)
    assert len(routes) >= 8
    client.outcomes = Counter()
    for method, path, handler in routes:
        fuzz_route(client, method, path, handler)
    print(f"{len(routes)} write routes: {dict(client.outcomes)} answers by class (2 = 2xx)")
    assert client.outcomes[2] and client.outcomes[4], "the fuzz reached only one kind of answer"


def fuzz_route(client, method: str, path: str, handler: Any) -> None:
    """Send the route hostile bodies with a key of a role its guard admits, and check each outcome."""
    service = client.app.state.service
    values = path_values(client)
    params = re.findall(r"\{([^}:]+)", path)
    role = sorted(roles_of(handler), key=lambda r: list(Role).index(r))[0]
    data = handler.parsed_fn_signature.parameters.get("data")
    body = encoded(body_for(data.annotation, client.pools)) if data is not None else st.just(b"")

    @FUZZ
    @given(chosen=st.fixed_dictionaries({p: st.sampled_from(values.get(p, ["x"])) for p in params}), raw=body)
    def one(chosen: dict[str, str], raw: bytes) -> None:
        url = fill(path, chosen)
        before = head(service)
        response = client.request(method, url, content=raw,
                                  headers={**client.keys[role], "content-type": "application/json"})
        check_outcome(client, response, before, f"{method} {url} {raw[:200]!r}")

    one()


@pytest.fixture
def credential(credential_http):
    client, app = credential_http, credential_http.app.state.service
    app.badges.keys.ensure(SYSTEM)
    policy = app.policies.current_policy()
    registrar = issue(app, Role.REGISTRAR)
    nursery = client.post("/v1/nurseries", json={"name": "朱泾一托", "town": "朱泾镇", "ownership": "public",
                                                 "inclusive": True}, headers=registrar).json()["nursery_id"]
    people = [client.post("/v1/staff", json={"name": name, "id_number": make_valid(f"3101161988051200{i}"),
                                             "nursery_id": nursery}, headers=registrar).json()["staff_id"]
              for i, name in enumerate(["王丽华", "李娜"])]
    certificates = []
    for cert_type in ("nursery_worker", "health"):
        certificates.append(client.post("/v1/certificates", headers=registrar, json={
            "cert_type": cert_type, "number": f"{cert_type.upper()}-1", "issuing_body": "金山区",
            "issued_on": (today() - dt.timedelta(days=30)).isoformat(),
            "expires_on": (today() + dt.timedelta(days=300)).isoformat(), "holder_id": people[0]}).json()["certificate_id"])
    assignment = client.post("/v1/assignments", headers=registrar, json={
        "staff_id": people[0], "nursery_id": nursery, "role": "nursery_worker", "start_on": today().isoformat()}).json()
    badge = client.post("/v1/badges", json={"staff_id": people[0]}, headers=registrar).json()
    client.keys = {role: issue(app, role, nursery if role is Role.HR else str(uuid.uuid4()) if role is Role.PROVIDER
                               else None) for role in Role}
    key_id = app.list_keys()[0].key_id
    client.ids = {"certificate_id": certificates, "assignment_id": [assignment["assignment_id"]],
                  "badge_id": [badge["badge_id"]], "key_id": [key_id], "staff_id": people, "nursery_id": [nursery]}
    client.pools = {
        "staff_id": people, "holder_id": people, "nursery_id": [nursery], "certificate_ids": certificates,
        "cert_type": list(policy.types), "role": list(policy.roles), "town": list(JINSHAN_AREAS),
        "id_number": [make_valid("31011619900101007"), make_valid("31011619880512000")],
        "category": ["error", "fraud"], "scope": [nursery], "number": ["JK-2025-9", "BY 1"],
        "expires_at": ["2030-01-01T00:00:00+08:00"], "qr": [badge["qr_text"]],
    }
    client.reads = ["/v1/nurseries", "/v1/staff", f"/v1/staff/{people[0]}/profile", f"/v1/nurseries/{nursery}/roster",
                    "/v1/district/figures", "/v1/certificates/expiring", "/v1/badges?staff_id=" + people[0],
                    "/v1/keys"]
    return client


@pytest.fixture
def training(training_http):
    client, app = training_http, training_http.app.state.service
    provider = str(approve(app))
    people = learn_people(app, 2)
    client.keys = {role: issue(app, role, provider if role is Role.PROVIDER else str(uuid.uuid4()) if role is Role.HR
                               else None) for role in Role}
    first = client.post(f"/v1/providers/{provider}/completions", headers=client.keys[Role.PROVIDER], json={
        "event_id": "SOU-1", "staff_id": people[0], "course_code": "SK01",
        "completed_at": "2025-06-30T14:00:00+08:00", "class_hours": 8}).json()
    client.ids = {"provider_id": [provider], "completion_id": [first["completion_id"]], "code": ["SK02", "ET01"],
                  "key_id": [app.list_keys()[0].key_id]}
    client.pools = {
        "staff_id": people, "id_number": [id_number(0), id_number(1)], "course_code": [*SKILLS_COURSES, *ETHICS_COURSES],
        "completed_at": ["2025-06-30T14:00:00+08:00", "2025-07-01T09:30:00Z"], "class_hours": [8, 4, 1.5],
        "event_id": ["SOU-1", "SOU-2", "SOU-3"], "scope": [provider], "code": ["NEW1", "SK01"],
        "expires_at": ["2030-01-01T00:00:00+08:00"],
    }
    client.reads = ["/v1/providers", f"/v1/providers/{provider}/courses", f"/v1/providers/{provider}/completions",
                    f"/v1/people/{people[0]}/training/2025", "/v1/keys"]
    return client


def test_every_credential_write_route_stores_only_what_every_projection_applies(credential):
    fuzz_routes(credential)


def test_every_training_write_route_stores_only_what_every_projection_applies(training):
    fuzz_routes(training)


def test_the_instants_strategy_reaches_both_ends():
    """The strategies are not vacuous: they draw the extremes the issue lists."""
    seen = set()

    @settings(max_examples=200, derandomize=True, database=None)
    @given(instants)
    def draw(value: str) -> None:
        seen.add(value[:4])

    draw()
    assert {"0001", "9999"} <= seen
