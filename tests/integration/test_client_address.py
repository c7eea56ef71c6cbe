"""Who the client is, and the failed-login limit, through the real app on both storages.

``X-Forwarded-For`` counts only from a peer listed in ``CARECRED_TRUSTED_PROXIES``, and then the
client is the right-most address that is not a listed proxy. The limit counts failures per client
and never refuses a valid key, so an attacker sharing an address cannot lock anyone out.
"""

from __future__ import annotations

import logging

import msgspec
import pytest
from litestar.testing import TestClient

from contracts.keys import Role
from services.credential.app import create_app
from tests.conftest import bearer, issue

GUESS = bearer("cc_not-a-key")
LIMIT = 3


class Peer:
    """The app as reached from one network address (the test client otherwise says ``testclient``)."""

    def __init__(self, app, host: str):
        self.app, self.host = app, host

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            scope["client"] = (self.host, 40_000)
        await self.app(scope, receive, send)


@pytest.fixture
def limited(settings):
    """A credential service whose limit is 3 failures a minute, behind the proxies 10.0.0.0/8."""
    app = create_app(msgspec.structs.replace(settings, auth_failures_per_minute=LIMIT, trusted_proxies="10.0.0.0/8"))
    with TestClient(app):  # lifespan: followers, shutdown
        yield app


def from_address(app, host: str) -> TestClient:
    return TestClient(Peer(app, host))


def statuses(client: TestClient, n: int, **headers: str) -> list[int]:
    return [client.get("/v1/nurseries", headers={**GUESS, **headers}).status_code for _ in range(n)]


def test_a_valid_key_is_served_from_an_address_that_failed_too_often(limited):
    service = limited.state.service
    registrar, feed_reader = issue(service, Role.REGISTRAR), issue(service, Role.SERVICE, name="training feed")
    shared = from_address(limited, "192.0.2.10")  # one NAT: an attacker and the other service behind it
    assert statuses(shared, 5) == [401, 401, 401, 429, 429]
    refused = shared.get("/v1/nurseries", headers=GUESS)
    assert refused.json()["code"] == "too_many_failed_logins" and int(refused.headers["retry-after"]) > 0
    assert shared.get("/v1/feed?after=0&limit=10", headers=feed_reader).status_code == 200
    assert shared.get("/v1/nurseries", headers=registrar).status_code == 200
    assert shared.get("/v1/nurseries").status_code == 429  # no key at all is a failure too
    assert shared.get("/health").status_code == 200
    assert statuses(from_address(limited, "192.0.2.11"), 1) == [401]  # the neighbour is not punished


def test_forwarding_headers_from_a_peer_that_is_not_a_listed_proxy_are_ignored(limited):
    attacker = from_address(limited, "192.0.2.20")
    answered = [attacker.get("/v1/nurseries", headers={**GUESS, "X-Forwarded-For": f"198.51.100.{i}",
                                                      "Forwarded": f"for=198.51.100.{i}",
                                                      "X-Real-IP": f"198.51.100.{i}"}).status_code
                for i in range(5)]
    assert answered == [401, 401, 401, 429, 429]


def test_behind_a_listed_proxy_the_client_is_the_right_most_address_that_is_not_a_proxy(limited, caplog):
    proxy = from_address(limited, "10.0.0.2")
    # The client's own claim (left) is ignored; the address the proxy appended (right) counts.
    spoofed = [proxy.get("/v1/nurseries", headers={**GUESS, "X-Forwarded-For": f"1.1.1.{i}, 203.0.113.7"}).status_code
               for i in range(5)]
    assert spoofed == [401, 401, 401, 429, 429]
    assert statuses(proxy, 1, **{"X-Forwarded-For": "203.0.113.8"}) == [401]  # another client behind the proxy
    # Two proxies in a row: the second one (10.0.0.5) is listed too, so the client is further left.
    assert statuses(proxy, 1, **{"X-Forwarded-For": "203.0.113.7, 10.0.0.5"}) == [429]
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="carecred.access"):
        proxy.get("/v1/nurseries", headers={**GUESS, "X-Forwarded-For": "203.0.113.9"})
    (line,) = [r for r in caplog.records if r.name == "carecred.access"]
    assert line.client == "203.0.113.9" and line.status == 401


def test_ipv6_clients_are_counted_by_their_64(limited):
    answered = [from_address(limited, f"2001:db8:7:7::{i}").get("/v1/nurseries", headers=GUESS).status_code
                for i in range(1, 6)]
    assert answered == [401, 401, 401, 429, 429]
    assert statuses(from_address(limited, "2001:db8:7:8::1"), 1) == [401]


def test_a_service_does_not_start_with_an_unusable_trusted_proxy(settings):
    with pytest.raises(SystemExit, match="CARECRED_TRUSTED_PROXIES"):
        create_app(msgspec.structs.replace(settings, trusted_proxies="*"))
