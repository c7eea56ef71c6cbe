"""Trusted proxies are configured, not assumed; the failure limit counts per client and stops at its limit."""

import pytest

from shared.auth.limiter import FailureLimiter, client_key
from shared.http.proxies import parse_trusted_proxies
from shared.settings import Settings


def test_trusted_proxies_default_to_none():
    assert Settings.from_env({}).trusted_proxies == ""
    assert parse_trusted_proxies("") == []


def test_trusted_proxies_are_addresses_or_networks_separated_by_commas_or_spaces():
    assert parse_trusted_proxies("10.0.0.0/8, 192.168.1.10 ::1  fd00::/8") == ["10.0.0.0/8", "192.168.1.10", "::1",
                                                                                 "fd00::/8"]


@pytest.mark.parametrize("bad", ["*", "proxy.example", "10.0.0.1/8", "300.1.1.1", "10.0.0.0/33"])
def test_a_trusted_proxy_that_is_not_an_address_or_network_is_refused_by_name(bad):
    with pytest.raises(ValueError, match="CARECRED_TRUSTED_PROXIES"):
        parse_trusted_proxies(f"10.0.0.0/8, {bad}")


def test_an_ipv6_client_counts_as_its_64_and_an_ipv4_mapped_one_as_the_ipv4_address():
    assert client_key("2001:db8:1:2:aaaa::1") == client_key("2001:db8:1:2:bbbb::2") == "2001:db8:1:2::/64"
    assert client_key("2001:db8:1:3::1") != client_key("2001:db8:1:2::1")
    assert client_key("::ffff:192.0.2.7") == "192.0.2.7" == client_key("192.0.2.7")
    assert client_key("testclient") == "testclient"


def test_the_limiter_answers_within_the_limit_then_a_wait_and_counts_per_client():
    limiter = FailureLimiter(limit=3)
    assert [limiter.failed("a") for _ in range(3)] == [0, 0, 0]
    waits = [limiter.failed("a") for _ in range(100)]
    assert all(0 < w <= 61 for w in waits)
    assert len(limiter._failures["a"]) == 3  # refused failures are not stored: memory stays bounded
    assert limiter.failed("b") == 0


def test_a_limit_of_zero_refuses_every_failure():
    assert FailureLimiter(limit=0).failed("a") > 0


def test_the_limiter_forgets_clients_rather_than_grow_without_bound():
    limiter = FailureLimiter(limit=1, max_clients=100)
    for i in range(1_000):
        limiter.failed(f"10.0.{i // 256}.{i % 256}")
    assert len(limiter._failures) <= 100
