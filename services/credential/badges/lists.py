"""The signed lists offline verifiers cache: the trust list and the status list.

Both are COSE_Sign1 messages over a CBOR map in deterministic encoding, read strictly, and
both carry their own expiry.

**Trust list** (signed by the trust anchor, whose public key verifiers pin)::

    {1: issuer, 2: issued at, 3: expires at,
     4: [{1: kid, 2: COSE alg, 3: SubjectPublicKeyInfo DER, 4: valid from,
          5: signs until (retired at) or null, 6: valid until or null}],
     5: [anchor handover, ...]}            (only after the anchor has been rotated)

**Anchor handover** (signed by the outgoing anchor: how a verifier that pinned it learns its
successor without any step out of band)::

    {1: issuer, 2: handed over at, 3: the new anchor's SubjectPublicKeyInfo DER, 4: its COSE alg}

A verifier walks the handovers from the anchor it pinned, each signed by the one before,
checks the trust list's signature with the anchor it arrives at, and re-pins that one
(``TrustList.anchor``). A list signed by any other key is refused.

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

from services.credential.badges import cose
from services.credential.badges.cbor import CborError, dumps, loads_deterministic


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


@dataclass(frozen=True)
class AnchorHandover:
    """The outgoing trust anchor's signed statement naming its successor."""

    issuer: str
    handed_over_at: int
    new_anchor: cose.PublicKey

    def payload(self) -> bytes:
        return dumps({1: self.issuer, 2: self.handed_over_at, 3: cose.public_key_der(self.new_anchor),
                      4: cose.algorithm_of(self.new_anchor)})

    def sign(self, outgoing: cose.PrivateKey) -> bytes:
        public = outgoing.public_key()
        return cose.sign1(self.payload(), outgoing, cose.key_id(public), cose.algorithm_of(public))

    @staticmethod
    def successor(message: bytes, outgoing: cose.PublicKey) -> cose.PublicKey | None:
        """The anchor this handover names, if ``outgoing`` signed it; else None."""
        sign1 = _parse(message)
        if not sign1.verify(outgoing, cose.algorithm_of(outgoing)):
            return None
        body = _body(sign1)
        try:
            new_anchor = cose.load_public_key(body[3])
            if cose.algorithm_of(new_anchor) != body[4]:
                raise ValueError("the new anchor's algorithm does not match its key")
            return new_anchor
        except (KeyError, TypeError, ValueError) as exc:
            raise ListError(f"an anchor handover has the wrong shape: {exc}") from None


@dataclass
class TrustList:
    """The keys that sign badges and status lists, as published and signed by the trust anchor."""

    issuer: str
    issued_at: int
    expires_at: int
    keys: dict[bytes, TrustedKey] = field(default_factory=dict)
    handovers: list[bytes] = field(default_factory=list)
    """Signed anchor handovers, oldest first (``AnchorHandover``)."""
    anchor: cose.PublicKey | None = None
    """After ``parse``: the anchor whose signature holds — the pinned one, or its successor."""

    def payload(self) -> bytes:
        body: dict[int, object] = {
            1: self.issuer, 2: self.issued_at, 3: self.expires_at,
            4: [
                {1: k.kid, 2: k.algorithm, 3: cose.public_key_der(k.public_key), 4: k.valid_from,
                 5: k.signs_until, 6: k.valid_until}
                for k in self.keys.values()
            ],
        }
        if self.handovers:
            body[5] = list(self.handovers)
        return dumps(body)

    def sign(self, anchor_key: cose.PrivateKey, algorithm: int = cose.ES256) -> bytes:
        return cose.sign1(self.payload(), anchor_key, cose.key_id(anchor_key.public_key()), algorithm)

    @classmethod
    def parse(cls, message: bytes, pinned_anchor: cose.PublicKey) -> TrustList:
        """Check the signature of the pinned anchor or of a successor it handed over to, then read the list.

        The list's expiry is the caller's to judge; ``anchor`` tells the caller which anchor to pin now.
        """
        sign1 = _parse(message)
        body = _body(sign1)  # read before the signature is checked only to find the handovers
        anchor = pinned_anchor
        handovers = body.get(5, [])
        if not isinstance(handovers, list) or not all(isinstance(h, bytes) for h in handovers):
            raise ListError("the trust list's anchor handovers have the wrong shape")
        for handover in handovers:
            anchor = AnchorHandover.successor(handover, anchor) or anchor
        if not sign1.verify(anchor, cose.algorithm_of(anchor)):
            raise ListError("the trust list is not signed by the pinned trust anchor (nor by an anchor it handed over to)")
        try:
            keys = {}
            for entry in body[4]:
                kid = bytes(entry[1])
                keys[kid] = TrustedKey(
                    kid=kid, algorithm=int(entry[2]), public_key=cose.load_public_key(entry[3]),
                    valid_from=int(entry[4]), signs_until=entry.get(5), valid_until=entry.get(6),
                )
            return cls(issuer=str(body[1]), issued_at=int(body[2]), expires_at=int(body[3]), keys=keys,
                       handovers=handovers, anchor=anchor)
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
        return dumps({
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
        body = loads_deterministic(sign1.payload)
    except CborError as exc:
        raise ListError(f"the payload is not CBOR: {exc}") from None
    if not isinstance(body, dict):
        raise ListError("the payload is not a map")
    return body
