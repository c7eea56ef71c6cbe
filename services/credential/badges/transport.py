"""The transport layers around a COSE message: zlib, Base45 (RFC 9285) and a context prefix.

Each step raises ``TransportError`` naming the step, so a verifier can say which layer of a
scanned text is broken (and the EU DCC test vectors can check each step on its own).

Strict: nothing is stripped (a space is a Base45 character) and nothing may follow the zlib
stream, so bytes appended to a badge's text make it malformed rather than a second valid text
of the same badge. (DEFLATE itself has many encodings of the same bytes; a badge's identity is
its signed COSE message, never its text.)
"""

from __future__ import annotations

import zlib

import b45
import base45

BADGE_PREFIX = "TY1:"
"""Context identifier of carecred badges (the EU DCC uses ``HC1:``)."""

MAX_INFLATED = 64 * 1024
"""A badge is a few hundred bytes; refuse zip bombs."""


class TransportError(ValueError):
    """A transport layer of a scanned text is broken."""

    def __init__(self, step: str, message: str):
        super().__init__(f"{step}: {message}")
        self.step = step


def unprefix(text: str, prefix: str = BADGE_PREFIX) -> str:
    """The Base45 text after the context prefix."""
    if not text.startswith(prefix):
        raise TransportError("prefix", f"the text does not start with {prefix!r}")
    return text[len(prefix):]


_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_VALUES = bytes(_ALPHABET.find(chr(c)) % 256 for c in range(256))
"""Each byte's Base45 value; 255 for a byte outside the alphabet."""
_TOP = 32
"""The largest last value of a 3-character group (65535 is "FGW": 15 + 36 * 45 + 32 * 45²)."""


def b45decode(text: str) -> bytes:
    """Base45 (RFC 9285) to bytes, refusing what the RFC calls invalid.

    The arithmetic is ``b45``'s (vectorised, about a quarter of the pure-Python ``base45``
    package's time on a badge: bench/results/badges.md); it does not check its input, so this
    does first: only alphabet characters, no group of three above 65535, no pair above 255,
    no single trailing character (``b45`` refuses that itself).
    """
    try:
        values = text.encode("ascii").translate(_VALUES)
    except UnicodeEncodeError:
        raise TransportError("base45", "not valid Base45 (RFC 9285): a character outside the alphabet") from None
    if 255 in values:
        raise TransportError("base45", "not valid Base45 (RFC 9285): a character outside the alphabet")
    whole = len(values) - len(values) % 3
    thirds = values[2:whole:3]
    if thirds and max(thirds) >= _TOP:  # only a group ending in 'W' or later can pass 65535
        for group in range(0, whole, 3):
            if values[group + 2] >= _TOP and values[group] + values[group + 1] * 45 + values[group + 2] * 2025 > 0xFFFF:
                raise TransportError("base45", f"not valid Base45 (RFC 9285): the group at {group} exceeds 65535")
    if len(values) - whole == 2 and values[whole] + values[whole + 1] * 45 > 0xFF:
        raise TransportError("base45", "not valid Base45 (RFC 9285): the last pair exceeds 255")
    try:
        return b45.decode(text)
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        raise TransportError("base45", f"not valid Base45 (RFC 9285): {exc}") from None


def inflate(data: bytes) -> bytes:
    """zlib-decompress, refusing anything that is not a complete zlib stream."""
    decompressor = zlib.decompressobj()
    try:
        out = decompressor.decompress(data, MAX_INFLATED)
    except zlib.error as exc:
        raise TransportError("zlib", f"not zlib-compressed: {exc}") from None
    if decompressor.unconsumed_tail:
        raise TransportError("zlib", f"inflates beyond {MAX_INFLATED} bytes")
    if not decompressor.eof:
        raise TransportError("zlib", "the zlib stream is truncated")
    if decompressor.unused_data:
        raise TransportError("trailing", f"{len(decompressor.unused_data)} bytes after the zlib stream")
    return out


def unwrap(text: str, prefix: str = BADGE_PREFIX) -> bytes:
    """Prefix → Base45 → zlib: the COSE bytes inside a scanned text."""
    return inflate(b45decode(unprefix(text, prefix)))


def wrap(cose: bytes, prefix: str = BADGE_PREFIX) -> str:
    """COSE bytes → zlib (level 9) → Base45 → prefixed text for an alphanumeric QR code."""
    return prefix + base45.b45encode(zlib.compress(cose, 9)).decode("ascii")
