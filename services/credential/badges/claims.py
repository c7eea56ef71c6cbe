"""Badge claims inside a CWT (RFC 8392): compact integer keys, our claims under one private key.

CWT claims used: ``iss`` (1), ``exp`` (4), ``iat`` (6). The badge itself sits under claim key
**-65537**, the first key of the CWT registry's private-use range (below -65536), as a map:

====  ==============================================================
key   value
====  ==============================================================
1     claims version (2)
3     staff id (16-byte UUID)
4     name
6     nursery name
7     roles: [code]
8     certificates: [[type code, number, expiry as days since 1970-01-01]]
9     status-list index; the badge id is derived from it (``badge_id_for``)
10    holder binding (人证合一): [iterations, salt, check], see ``holder``;
      absent when the badge was issued without the ID number
====  ==============================================================

What a badge shows in clear is what its holder shows anyway: name, nursery, roles and the
certificates on the wall. No character of the ID number is on it (version 1 carried seven,
and is refused). A code (role or certificate type) is an integer when it is in ``CODEBOOK``
and text otherwise. Every byte counts: a three-certificate badge must stay at QR version 15
or lower, so the badge id and the nursery id are not carried (they are in the issuer's
records, found by the status-list index). The claims are written in deterministic CBOR.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

import msgspec

from contracts.badges import BadgeCertificate, HolderView
from services.credential.badges.cbor import CborError, dumps, loads_deterministic
from services.credential.badges.holder import HolderBinding

CWT_ISS, CWT_EXP, CWT_IAT = 1, 4, 6
BADGE_CLAIM = -65537
VERSION = 2
EPOCH = dt.date(1970, 1, 1)
BADGE_NAMESPACE = uuid5(NAMESPACE_URL, "urn:carecred:badge")

CODEBOOK: tuple[str, ...] = (
    # Append only: a code's position is its number on every badge ever issued.
    "infant_caregiver", "nursery_worker", "health_worker", "institution_head", "finance_staff",
    "security_guard", "teacher", "infant_care", "finance", "health",
)
_CODE_NUMBER = {code: number for number, code in enumerate(CODEBOOK, start=1)}


class MalformedClaims(ValueError):
    """The CWT payload is not a carecred badge."""


class BadgeClaims(msgspec.Struct, frozen=True, kw_only=True):
    """Everything a badge states, decoded."""

    issuer: str
    issued_at: int
    expires_at: int
    holder: HolderView
    status_index: int
    binding: HolderBinding | None = None
    """人证合一 offline; None when the badge was issued without the holder's ID number."""


def badge_id_for(status_index: int) -> UUID:
    """The badge id of the badge at a status-list index (one badge per index, never reused)."""
    return uuid5(BADGE_NAMESPACE, str(status_index))


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
    badge: dict[int, Any] = {
        1: VERSION,
        3: UUID(h.staff_id).bytes,
        4: h.name,
        6: h.nursery_name,
        7: [_code(r) for r in h.roles],
        8: [[_code(c.type), c.number, (c.expires_on - EPOCH).days] for c in h.certificates],
        9: claims.status_index,
    }
    if claims.binding is not None:
        badge[10] = claims.binding.to_cbor()
    return dumps({CWT_ISS: claims.issuer, CWT_IAT: claims.issued_at, CWT_EXP: claims.expires_at, BADGE_CLAIM: badge})


def decode(payload: bytes) -> BadgeClaims:
    """Decode and check the shape of a badge's CWT claims; ``MalformedClaims`` otherwise."""
    try:
        cwt = loads_deterministic(payload)
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
            nursery_id=None,
            nursery_name=_text(badge[6]),
            roles=[_uncode(r) for r in badge[7]],
            certificates=certificates,
        )
        binding = HolderBinding.from_cbor(badge[10]) if 10 in badge else None
        return BadgeClaims(
            issuer=_text(cwt[CWT_ISS]),
            issued_at=_int(cwt[CWT_IAT]),
            expires_at=_int(cwt[CWT_EXP]),
            holder=holder,
            status_index=status_index,
            binding=binding,
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
