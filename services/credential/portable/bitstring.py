"""The encoded list of W3C Bitstring Status List v1.0.

The bitstring is at least 16 KB (131,072 entries) so that one credential's index tells
nothing about how many were issued; it grows in steps of that size. Index 0 is the left-most
(most significant) bit of the first byte. The list is GZIP-compressed, then base64url-encoded
without padding, with the multibase prefix ``u``.
"""

from __future__ import annotations

import base64
import gzip
from typing import Iterable

MIN_ENTRIES = 131_072


def list_length(highest_index: int | None) -> int:
    """Entries in a list that holds ``highest_index``: a multiple of 131,072, at least one."""
    needed = 0 if highest_index is None else highest_index + 1
    return max(MIN_ENTRIES, -(-needed // MIN_ENTRIES) * MIN_ENTRIES)


def encode(set_indexes: Iterable[int], length: int) -> str:
    """The ``encodedList`` of a bitstring of ``length`` entries with these bits set."""
    bits = bytearray(length // 8)
    for index in set_indexes:
        if not 0 <= index < length:
            raise ValueError(f"status index {index} outside a list of {length} entries")
        bits[index // 8] |= 0x80 >> (index % 8)
    packed = gzip.compress(bytes(bits), mtime=0)  # the same bits give the same bytes
    return "u" + base64.urlsafe_b64encode(packed).rstrip(b"=").decode("ascii")

