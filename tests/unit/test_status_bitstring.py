"""The encoded list of a Bitstring Status List: at least 16 KB, bit 0 the left-most, GZIP + multibase base64url."""

import base64
import gzip

import pytest

from services.credential.portable.bitstring import MIN_ENTRIES, encode, list_length


def decoded(encoded: str) -> bytes:
    assert encoded[0] == "u"
    body = encoded[1:]
    assert "=" not in body
    return gzip.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def test_an_empty_list_still_has_131072_entries():
    assert list_length(None) == MIN_ENTRIES == 131_072
    assert decoded(encode([], list_length(None))) == bytes(16 * 1024)


def test_the_list_grows_in_steps_of_131072():
    assert list_length(MIN_ENTRIES - 1) == MIN_ENTRIES
    assert list_length(MIN_ENTRIES) == 2 * MIN_ENTRIES


def test_index_zero_is_the_left_most_bit():
    bits = decoded(encode([0, 9, MIN_ENTRIES - 1], MIN_ENTRIES))
    assert bits[0] == 0b1000_0000 and bits[1] == 0b0100_0000 and bits[-1] == 0b0000_0001
    assert sum(bin(b).count("1") for b in bits) == 3


def test_an_index_outside_the_list_is_refused():
    with pytest.raises(ValueError):
        encode([MIN_ENTRIES], MIN_ENTRIES)
