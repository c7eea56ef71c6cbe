"""The tag of a stored event binds its bytes to its aggregate, version, topic and service."""

from uuid import uuid4

import pytest

from shared.audit.authentication import MAGIC, EventAuthenticator, without_tag

SECRET = bytes.fromhex("22" * 32)
TOPIC = "carecred.credential:Nursery.Registered.v1"
BODY = b'{"name":"\xe6\x9c\xb1\xe6\xb3\xbe\xe4\xb8\x80\xe6\x89\x98"}'


@pytest.fixture
def credential() -> EventAuthenticator:
    return EventAuthenticator(SECRET, "credential")


def test_the_service_reads_back_what_it_stored(credential):
    aggregate = uuid4()
    stored = credential.wrap(aggregate, 3, TOPIC, BODY)
    assert stored.startswith(MAGIC) and stored.endswith(BODY)
    assert credential.unwrap(aggregate, 3, TOPIC, stored) == (BODY, "")
    assert credential.unwrap(str(aggregate), 3, TOPIC, stored) == (BODY, "")  # text or UUID alike
    assert without_tag(stored) == BODY


@pytest.mark.parametrize("change", ["aggregate", "version", "topic", "byte", "tag", "service", "secret"])
def test_any_change_breaks_the_tag(credential, change):
    aggregate = uuid4()
    stored = credential.wrap(aggregate, 3, TOPIC, BODY)
    checker, args = credential, [aggregate, 3, TOPIC, stored]
    if change == "aggregate":
        args[0] = uuid4()
    elif change == "version":
        args[1] = 4
    elif change == "topic":
        args[2] = "carecred.credential:Nursery.Renamed.v1"
    elif change == "byte":
        args[3] = stored[:-1] + bytes([stored[-1] ^ 1])
    elif change == "tag":
        args[3] = stored[:10] + bytes([stored[10] ^ 1]) + stored[11:]
    elif change == "service":
        checker = EventAuthenticator(SECRET, "training")  # an event copied between the services' stores
    else:
        checker = EventAuthenticator(bytes.fromhex("33" * 32), "credential")
    inner, why = checker.unwrap(*args)
    assert inner is None and "does not match" in why


def test_bytes_without_the_marker_carry_no_tag(credential):
    assert credential.unwrap(uuid4(), 1, TOPIC, BODY) == (None, "it carries no authentication tag")
    assert credential.unwrap(uuid4(), 1, TOPIC, MAGIC + b"short") == (None, "it carries no authentication tag")
    assert without_tag(BODY) == BODY


def test_a_malformed_aggregate_id_is_refused_not_raised(credential):
    stored = credential.wrap(uuid4(), 1, TOPIC, BODY)
    inner, why = credential.unwrap("not-a-uuid", 1, TOPIC, stored)
    assert inner is None and "malformed" in why


def test_seal_rows_are_tagged_with_the_service_key(credential):
    assert credential.seal_tag("", 17) == EventAuthenticator(SECRET, "credential").seal_tag("", 17)
    assert credential.seal_tag("", 17) != credential.seal_tag("", 18)
    assert credential.seal_tag("", 17) != EventAuthenticator(SECRET, "training").seal_tag("", 17)
