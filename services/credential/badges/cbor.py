"""Strict CBOR decoding: one complete data item, nothing after it."""

from __future__ import annotations

import io
from typing import Any

import cbor2


class CborError(ValueError):
    """The bytes are not exactly one well-formed CBOR data item."""


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
