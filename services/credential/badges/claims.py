"""Badge claims inside a CWT (RFC 8392): compact integer keys, our claims under one private key.

CWT claims used: ``iss`` (1), ``exp`` (4), ``iat`` (6). The badge itself sits under claim key
**-65537**, the first key of the CWT registry's private-use range (below -65536), as a map:

====  ==============================================================
key   value
====  ==============================================================
1     claims version (1)
3     staff id (16-byte UUID)
4     name
5     ID number's visible characters: first 3 + last 4 (the mask is rebuilt)
6     nursery name
7     roles: [code]
8     certificates: [[type code, number, expiry as days since 1970-01-01]]
9     status-list index; the badge id is derived from it (``badge_id_for``)
10    ID-number check (人证合一): scrypt(canonical ID number, salt=badge id), 8 bytes
====  ==============================================================

A code (role or certificate type) is an integer when it is in ``CODEBOOK`` and text
otherwise. Every byte counts: a three-certificate badge must stay at QR version 15 or
lower, so the badge id, the nursery id and the salt are not carried (the first two are in
the issuer's records, found by the status-list index; the salt is the badge id).
"""

from __future__ import annotations

import datetime as dt
import hmac
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

import cbor2
import msgspec
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from contracts.badges import BadgeCertificate, HolderView
from services.credential.badges.cbor import CborError, loads_exact
from shared import idnumber

CWT_ISS, CWT_EXP, CWT_IAT = 1, 4, 6
BADGE_CLAIM = -65537
VERSION = 1
EPOCH = dt.date(1970, 1, 1)
BADGE_NAMESPACE = uuid5(NAMESPACE_URL, "urn:carecred:badge")

CODEBOOK: tuple[str, ...] = (
    # Append only: a code's position is its number on every badge ever issued.
    "infant_caregiver", "nursery_worker", "health_worker", "institution_head", "finance_staff",
    "security_guard", "teacher", "infant_care", "finance", "health",
)
_CODE_NUMBER = {code: number for number, code in enumerate(CODEBOOK, start=1)}

# scrypt, not a plain hash: the masked number already shows 7 of 18 characters, so the rest
# is a search space of millions; a memory-hard KDF makes searching it cost days per badge.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1


class MalformedClaims(ValueError):
    """The CWT payload is not a carecred badge."""


class BadgeClaims(msgspec.Struct, frozen=True, kw_only=True):
    """Everything a badge states, decoded."""

    issuer: str
    issued_at: int
    expires_at: int
    holder: HolderView
    status_index: int
    id_digest: bytes | None = None

    def id_matches(self, typed_number: str) -> bool | None:
        """人证合一 offline: does the typed ID number match the badge? None when it cannot tell."""
        if self.id_digest is None:
            return None
        try:
            number = idnumber.normalise(typed_number)
        except idnumber.InvalidIdNumber:
            return False
        return hmac.compare_digest(id_digest(number, self.status_index), self.id_digest)


def badge_id_for(status_index: int) -> UUID:
    """The badge id of the badge at a status-list index (one badge per index, never reused)."""
    return uuid5(BADGE_NAMESPACE, str(status_index))


def id_digest(canonical_number: str, status_index: int) -> bytes:
    """The salted, slow digest of a canonical ID number that a badge carries (salt: the badge id)."""
    kdf = Scrypt(salt=badge_id_for(status_index).bytes, length=8, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P)
    return kdf.derive(canonical_number.encode("ascii"))


def mask_from_visible(visible: str) -> str:
    return visible[:3] + "*" * 11 + visible[3:]


def _code(value: str) -> int | str:
    return _CODE_NUMBER.get(value, value)


def _uncode(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        if not 1 <= value <= len(CODEBOOK):
            raise ValueError(f"unknown code number {value}")
        return CODEBOOK[value - 1]
    return _text(value)


def encode(claims: BadgeClaims) -> bytes:
    """The CWT claims set as CBOR."""
    h = claims.holder
    if len(h.id_masked) != 18 or "*" not in h.id_masked:
        raise ValueError("id_masked must be an 18-character masked ID number")
    badge: dict[int, Any] = {
        1: VERSION,
        3: UUID(h.staff_id).bytes,
        4: h.name,
        5: h.id_masked[:3] + h.id_masked[-4:],
        6: h.nursery_name,
        7: [_code(r) for r in h.roles],
        8: [[_code(c.type), c.number, (c.expires_on - EPOCH).days] for c in h.certificates],
        9: claims.status_index,
    }
    if claims.id_digest is not None:
        badge[10] = claims.id_digest
    return cbor2.dumps({CWT_ISS: claims.issuer, CWT_IAT: claims.issued_at, CWT_EXP: claims.expires_at, BADGE_CLAIM: badge})


def decode(payload: bytes) -> BadgeClaims:
    """Decode and check the shape of a badge's CWT claims; ``MalformedClaims`` otherwise."""
    try:
        cwt = loads_exact(payload)
    except CborError as exc:
        raise MalformedClaims(f"the payload is not CBOR: {exc}") from None
    if not isinstance(cwt, dict):
        raise MalformedClaims("the CWT claims are not a map")
    badge = cwt.get(BADGE_CLAIM)
    if not isinstance(badge, dict):
        raise MalformedClaims(f"no badge claim ({BADGE_CLAIM}) in the CWT")
    if badge.get(1) != VERSION:
        raise MalformedClaims(f"unsupported badge claims version {badge.get(1)!r}")
    try:
        status_index = _int(badge[9])
        if status_index < 0:
            raise ValueError("negative status-list index")
        certificates = [
            BadgeCertificate(type=_uncode(t), number=_text(n), expires_on=EPOCH + dt.timedelta(days=_int(d)))
            for t, n, d in badge[8]
        ]
        holder = HolderView(
            badge_id=str(badge_id_for(status_index)),
            staff_id=str(UUID(bytes=badge[3])),
            name=_text(badge[4]),
            id_masked=mask_from_visible(_text(badge[5])),
            nursery_id=None,
            nursery_name=_text(badge[6]),
            roles=[_uncode(r) for r in badge[7]],
            certificates=certificates,
        )
        digest = badge.get(10)
        if digest is not None and not (isinstance(digest, bytes) and len(digest) == 8):
            raise ValueError("the ID-number check is not 8 bytes")
        return BadgeClaims(
            issuer=_text(cwt[CWT_ISS]),
            issued_at=_int(cwt[CWT_IAT]),
            expires_at=_int(cwt[CWT_EXP]),
            holder=holder,
            status_index=status_index,
            id_digest=digest,
        )
    except (KeyError, TypeError, ValueError, OverflowError) as exc:
        raise MalformedClaims(f"badge claims have the wrong shape: {exc}") from None


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected text, got {type(value).__name__}")
    return value


def _int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"expected an integer, got {type(value).__name__}")
    return value
