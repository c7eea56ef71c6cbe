"""The signed lists offline verifiers cache: the trust list and the status list.

Both are COSE_Sign1 messages over a CBOR map, and both carry their own expiry.

**Trust list** (signed by the trust anchor, whose public key verifiers pin)::

    {1: issuer, 2: issued at, 3: expires at,
     4: [{1: kid, 2: COSE alg, 3: SubjectPublicKeyInfo DER, 4: valid from,
          5: signs until (retired at) or null, 6: valid until or null}]}

**Status list** (signed by the active badge key, found through the trust list)::

    {1: issuer, 2: issued at, 3: expires at (issued at + time-to-live), 4: time-to-live s,
     5: size in bits, 6: zlib(revoked bits), 7: zlib(suspended bits)}

Bit ``i`` of a bitstring is bit ``i % 8`` (least significant first) of byte ``i // 8``, as in
the IETF Token Status List; one bit per status-list index.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Any

import cbor2

from services.credential.badges import cose
from services.credential.badges.cbor import CborError, loads_exact


class ListError(ValueError):
    """A trust list or status list is malformed, badly signed or not for us."""


# Bitstrings -----------------------------------------------------------------------------------


def bitstring(indexes: set[int] | list[int], size: int) -> bytes:
    data = bytearray((size + 7) // 8)
    for i in indexes:
        data[i // 8] |= 1 << (i % 8)
    return bytes(data)


def bit(data: bytes, index: int) -> bool:
    return index // 8 < len(data) and bool(data[index // 8] >> (index % 8) & 1)


# Trust list -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrustedKey:
    """A badge signing key verifiers accept, and when."""

    kid: bytes
    algorithm: int
    public_key: Any
    valid_from: int
    signs_until: int | None = None
    valid_until: int | None = None


@dataclass
class TrustList:
    """The keys that sign badges and status lists, as published and signed by the trust anchor."""

    issuer: str
    issued_at: int
    expires_at: int
    keys: dict[bytes, TrustedKey] = field(default_factory=dict)

    def payload(self) -> bytes:
        return cbor2.dumps({
            1: self.issuer, 2: self.issued_at, 3: self.expires_at,
            4: [
                {1: k.kid, 2: k.algorithm, 3: cose.public_key_der(k.public_key), 4: k.valid_from,
                 5: k.signs_until, 6: k.valid_until}
                for k in self.keys.values()
            ],
        })

    def sign(self, anchor_key: cose.PrivateKey, algorithm: int = cose.ES256) -> bytes:
        return cose.sign1(self.payload(), anchor_key, cose.key_id(anchor_key.public_key()), algorithm)

    @classmethod
    def parse(cls, message: bytes, anchor_public_key: cose.PublicKey) -> TrustList:
        """Check the anchor's signature, then read the list (its expiry is the caller's to judge)."""
        sign1 = _parse(message)
        if not sign1.verify(anchor_public_key, cose.algorithm_of(anchor_public_key)):
            raise ListError("the trust list is not signed by the pinned trust anchor")
        body = _body(sign1)
        try:
            keys = {}
            for entry in body[4]:
                kid = bytes(entry[1])
                keys[kid] = TrustedKey(
                    kid=kid, algorithm=int(entry[2]), public_key=cose.load_public_key(entry[3]),
                    valid_from=int(entry[4]), signs_until=entry.get(5), valid_until=entry.get(6),
                )
            return cls(issuer=str(body[1]), issued_at=int(body[2]), expires_at=int(body[3]), keys=keys)
        except (KeyError, TypeError, ValueError) as exc:
            raise ListError(f"the trust list has the wrong shape: {exc}") from None


# Status list ----------------------------------------------------------------------------------


@dataclass
class StatusList:
    """Which status-list indexes are revoked and which suspended, as of ``issued_at``."""

    issuer: str
    issued_at: int
    ttl: int
    size: int
    revoked: bytes
    suspended: bytes

    @property
    def expires_at(self) -> int:
        return self.issued_at + self.ttl

    def covers(self, index: int) -> bool:
        return 0 <= index < self.size

    def is_revoked(self, index: int) -> bool:
        return bit(self.revoked, index)

    def is_suspended(self, index: int) -> bool:
        return bit(self.suspended, index)

    def payload(self) -> bytes:
        return cbor2.dumps({
            1: self.issuer, 2: self.issued_at, 3: self.expires_at, 4: self.ttl, 5: self.size,
            6: zlib.compress(self.revoked, 9), 7: zlib.compress(self.suspended, 9),
        })

    def sign(self, private_key: cose.PrivateKey, kid: bytes, algorithm: int) -> bytes:
        return cose.sign1(self.payload(), private_key, kid, algorithm)

    @classmethod
    def parse(cls, message: bytes, trust: TrustList) -> StatusList:
        """Check the signature with a key of the trust list, then read the bitstrings."""
        sign1 = _parse(message)
        key = trust.keys.get(sign1.kid or b"")
        if key is None:
            raise ListError("the status list is signed by a key that is not in the trust list")
        if not sign1.verify(key.public_key, key.algorithm):
            raise ListError("the status list's signature is invalid")
        body = _body(sign1)
        try:
            size = int(body[5])
            revoked, suspended = zlib.decompress(body[6]), zlib.decompress(body[7])
            if len(revoked) * 8 < size or len(suspended) * 8 < size:
                raise ValueError("bitstrings shorter than the list's size")
            return cls(issuer=str(body[1]), issued_at=int(body[2]), ttl=int(body[4]), size=size,
                       revoked=revoked, suspended=suspended)
        except (KeyError, TypeError, ValueError, zlib.error) as exc:
            raise ListError(f"the status list has the wrong shape: {exc}") from None


def _parse(message: bytes) -> cose.Sign1:
    try:
        return cose.parse_sign1(message)
    except cose.MalformedCose as exc:
        raise ListError(str(exc)) from None


def _body(sign1: cose.Sign1) -> dict[Any, Any]:
    try:
        body = loads_exact(sign1.payload)
    except CborError as exc:
        raise ListError(f"the payload is not CBOR: {exc}") from None
    if not isinstance(body, dict):
        raise ListError("the payload is not a map")
    return body
