"""Other encodings of a genuine badge: same signed bytes, different text. Each must be malformed.

Used by the Python tests (``test_badge_wire``) and, through the Node runner, by the scanner's
tests (``tests/integration/test_web_verifier.py``), so both verifiers refuse the same texts.
"""

from __future__ import annotations

import zlib
from typing import Callable

import base45
import cbor2

from services.credential.badges.transport import BADGE_PREFIX, unwrap


def _text(cose_bytes: bytes) -> str:
    return BADGE_PREFIX + base45.b45encode(zlib.compress(cose_bytes, 9)).decode("ascii")


def variants(text: str, resign: Callable[[bytes], str] | None = None) -> dict[str, tuple[str, str]]:
    """name → (text, what the reason must mention). ``resign(payload_bytes)`` signs a payload with the badge's key."""
    message = unwrap(text)
    protected, unprotected, payload, signature = cbor2.loads(message).value
    assert message[:2] == b"\xd2\x84"  # tag 18, then an array of four
    out = {
        "untagged": (_text(cbor2.dumps([protected, unprotected, payload, signature])), "untagged"),
        "other tag": (_text(cbor2.dumps(cbor2.CBORTag(98, [protected, unprotected, payload, signature]))), "tag"),
        "CWT tag around it": (_text(cbor2.dumps(cbor2.CBORTag(61, cbor2.CBORTag(18, [protected, {}, payload, signature])))),
                              "tag"),
        "byte after the CBOR": (_text(message + b"\x00"), "after"),
        "bytes after the zlib stream": (BADGE_PREFIX + base45.b45encode(zlib.compress(message, 9) + b"\x00\x01").decode(),
                                        "after the zlib stream"),
        "characters after the Base45 text": (text + "000", ""),  # the reason depends on where the text ends
        "array length in two bytes": (_text(b"\xd2\x98\x04" + message[2:]), "deterministic"),
        "indefinite-length array": (_text(b"\xd2\x9f" + message[2:] + b"\xff"), ""),
        "unprotected header": (_text(cbor2.dumps(cbor2.CBORTag(18, [protected, {5: b"x"}, payload, signature]))),
                               "unprotected"),
    }
    if resign is not None:
        claims = cbor2.loads(payload)
        unsorted = dict(reversed(list(claims.items())))
        out["claims in another key order"] = (resign(cbor2.dumps(unsorted)), "deterministic")
        big = dict(claims)
        big[6] = cbor2.CBORTag(2, b"\x00" + claims[6].to_bytes(8, "big"))  # issued-at as a bignum
        out["issued-at as a bignum"] = (resign(cbor2.dumps(big)), "")
    return out
