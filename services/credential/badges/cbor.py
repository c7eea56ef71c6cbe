"""Strict CBOR decoding: one complete data item, nothing after it, and (for our own messages) one encoding only.

Badges, trust lists and status lists are written by ``dumps`` in the deterministic encoding of
RFC 8949 section 4.2 (shortest heads, definite lengths, map keys sorted length-first as in
section 4.2.3, no duplicates), and ``loads_deterministic`` accepts nothing else: a message has
exactly one byte string, so a verifier never treats two different texts as the same badge.
The data model is restricted to what we write: integers, byte and text strings, arrays, maps
with integer or text keys, true, false, null, and tag 18 (COSE_Sign1) only where the caller
allows it. The scanner's ``badge.js`` applies the same rules.
"""

from __future__ import annotations

import io
from typing import Any

import cbor2


class CborError(ValueError):
    """The bytes are not exactly one well-formed CBOR data item."""


class NonCanonicalCbor(CborError):
    """Well-formed CBOR, but not the one deterministic encoding of its value."""


def dumps(value: Any) -> bytes:
    """The deterministic encoding (what ``loads_deterministic`` accepts)."""
    return cbor2.dumps(value, canonical=True)


def loads_exact(data: bytes) -> Any:
    """Decode one CBOR item and refuse trailing bytes (``cbor2.loads`` ignores them)."""
    stream = io.BytesIO(data)
    try:
        value = cbor2.CBORDecoder(stream).decode()
    except (cbor2.CBORDecodeError, ValueError, TypeError, EOFError, RecursionError) as exc:
        raise CborError(str(exc) or type(exc).__name__) from None
    if stream.tell() != len(data):
        raise CborError(f"{len(data) - stream.tell()} bytes after the CBOR item")
    return value


def loads_deterministic(data: bytes, *, tags: frozenset[int] = frozenset()) -> Any:
    """Decode one item in our restricted data model and deterministic encoding; ``CborError`` otherwise."""
    value = loads_exact(data)
    _check_model(value, tags, depth=0)
    if dumps(value) != data:
        raise NonCanonicalCbor("not the deterministic CBOR encoding (RFC 8949 section 4.2)")
    return value


def _check_model(value: Any, tags: frozenset[int], depth: int) -> None:
    if depth > 32:
        raise CborError("nested too deeply")
    if isinstance(value, int) and not isinstance(value, bool) and not -(2**64) <= value < 2**64:
        raise CborError("integer beyond 64 bits (a bignum tag)")
    if value is None or isinstance(value, (bool, int, bytes, str)):
        return
    if isinstance(value, list):
        for item in value:
            _check_model(item, tags, depth + 1)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, bool) or not isinstance(key, (int, str)):
                raise CborError("map keys must be integers or text")
            _check_model(item, tags, depth + 1)
        return
    if isinstance(value, cbor2.CBORTag) and value.tag in tags:
        _check_model(value.value, frozenset(), depth + 1)
        return
    # Floats, undefined, other simple values, and every other tag (cbor2 turns some into
    # datetimes, big integers, decimals...) are never written by us.
    if isinstance(value, cbor2.CBORTag):
        raise CborError(f"unexpected CBOR tag {value.tag}")
    raise CborError(f"unexpected CBOR item of type {type(value).__name__}")
