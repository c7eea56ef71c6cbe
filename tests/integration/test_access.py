"""Every route of both services: 401 without a valid key, 403 outside the role, never silent.

The routes are enumerated from the apps themselves, so a new route is covered the day it
is added — and a route that forgets its role guard fails here.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest

from contracts.keys import Role
from shared.http.auth import PUBLIC
from tests.conftest import bearer, issue

PUBLIC_PREFIXES = ("/schema",)


def protected_routes(app):
    for route in app.routes:
        if route.path.startswith(PUBLIC_PREFIXES):
            continue
        for handler in getattr(route, "route_handlers", []):
            if handler.opt.get(PUBLIC):
                continue
            for method in sorted(handler.http_methods - {"OPTIONS", "HEAD"}):
                yield method, route.path, handler


_SAMPLES = {"int": "1", "str": "x", "date": "2025-01-01", "path": "x"}


def concrete(path: str) -> str:
    """The route with each path parameter filled with a value of its type."""
    return re.sub(r"\{[^}:]+:?([^}]*)\}", lambda m: _SAMPLES.get(m.group(1), str(uuid.uuid4())), path)


def roles_of(handler) -> frozenset[Role]:
    declared = [g for layer in handler.ownership_layers for g in (layer.guards or [])]
    guards = [g for g in declared if hasattr(g, "roles")]
    assert guards, f"{handler} has no role guard"
    return frozenset().union(*(g.roles for g in guards))


@pytest.fixture(params=["credential", "training"])
def client(request, settings):
    return request.getfixturevalue(f"{request.param}_http")


def test_every_route_without_a_key_is_401(client):
    routes = list(protected_routes(client.app))
    assert routes
    for method, path, _ in routes:
        response = client.request(method, concrete(path), json={})
        assert response.status_code == 401, (method, path, response.text)
        assert response.json()["code"] == "unauthenticated"


def test_every_route_with_an_unknown_revoked_or_expired_key_is_401(client):
    service = client.app.state.service
    key_id, revoked = service.issue_key(role=Role.ADMIN, scope=None, name="gone", actor={"role": "test"})
    service.revoke_key(uuid.UUID(key_id), reason="test", actor={"role": "test"})
    _, expired = service.issue_key(
        role=Role.ADMIN, scope=None, name="old", actor={"role": "test"},
        expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1),
    )
    for token in ("cc_not-a-real-key", revoked, expired):
        for method, path, _ in protected_routes(client.app):
            response = client.request(method, concrete(path), json={}, headers=bearer(token))
            assert response.status_code == 401, (method, path, token)


def test_every_route_refuses_roles_outside_its_guard_with_403(client):
    service = client.app.state.service
    keys = {role: issue(service, role, scope=str(uuid.uuid4()) if role in (Role.HR, Role.PROVIDER) else None)
            for role in Role}
    for method, path, handler in protected_routes(client.app):
        allowed = roles_of(handler)
        for role, headers in keys.items():
            response = client.request(method, concrete(path), json={}, headers=headers)
            status = response.status_code
            code = response.json().get("code") if status >= 400 else None
            if role in allowed:
                # The role passes; a scoped key may still be refused for another nursery or provider.
                assert status != 401 and code != "forbidden", (method, path, role, status, code)
            else:
                assert (status, code) == (403, "forbidden"), (method, path, role, status, code)
