"""Verifying a scanned badge: the same pure steps online (live lists) and offline (cached lists).

Order of the checks, each with its own verdict: transport and COSE structure, strictly
(malformed) → key id in the trust list (unknown_key) → signature with the key's recorded
algorithm (invalid_signature) → badge claims (malformed) → issued-at and expiry with clock skew
(not_yet_valid, expired) → status list (revoked, then suspended) → the typed ID number
(holder_mismatch) → the status data's age (status_unknown when missing or past its maximum
age) → valid, "status as of" the status list's time. ``docs/badges.md`` says what each means.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Callable, Literal

import msgspec

from contracts.badges import Freshness, HolderCheck, HolderView, Verdict, VerifyResult
from services.credential.badges import claims as badge_claims
from services.credential.badges import cose
from services.credential.badges import holder as holder_binding
from services.credential.badges.lists import StatusList, TrustedKey, TrustList
from services.credential.badges.transport import BADGE_PREFIX, TransportError, unwrap
from shared import idnumber

DEFAULT_SKEW_SECONDS = 300
Source = Literal["online", "cached", "none"]


def utc(seconds: int) -> dt.datetime:
    try:
        return dt.datetime.fromtimestamp(seconds, dt.UTC)
    except (OverflowError, ValueError, OSError):  # a signed but absurd time: show the far end
        return dt.datetime.max.replace(tzinfo=dt.UTC) if seconds > 0 else dt.datetime.min.replace(tzinfo=dt.UTC)


def time_verdict(issued_at: int | None, expires_at: int | None, now: int, skew: int) -> tuple[Verdict, str] | None:
    """not_yet_valid / expired with tolerance for clock skew, or None when current."""
    if issued_at is not None and issued_at > now + skew:
        return Verdict.NOT_YET_VALID, f"issued at {utc(issued_at).isoformat()}, after now"
    if expires_at is not None and expires_at < now - skew:
        return Verdict.EXPIRED, f"expired at {utc(expires_at).isoformat()}"
    return None


@dataclass
class SignatureCheck:
    """The outcome of the signature steps: the verdict so far, and the message when it holds."""

    verdict: Verdict | None
    reason: str
    sign1: cose.Sign1 | None = None
    key: TrustedKey | None = None


def check_signature(message: bytes, keys: dict[bytes, TrustedKey], *, strict: bool = True) -> SignatureCheck:
    """COSE structure → key id known → signature valid (with the key's own algorithm)."""
    try:
        sign1 = cose.parse_sign1(message, strict=strict)
    except cose.MalformedCose as exc:
        return SignatureCheck(Verdict.MALFORMED, str(exc))
    key = keys.get(sign1.kid or b"")
    if key is None:
        kid = sign1.kid.hex() if sign1.kid else "none"
        return SignatureCheck(Verdict.UNKNOWN_KEY, f"key id {kid} is not in the trust list", sign1)
    if not sign1.verify(key.public_key, key.algorithm):
        return SignatureCheck(Verdict.INVALID_SIGNATURE, "the signature does not verify with the trusted key", sign1, key)
    return SignatureCheck(None, "", sign1, key)


def freshness(source: Source, issued_at: int | None, expires_at: int | None, now: int) -> Freshness:
    if issued_at is None:
        return Freshness(source=source, issued_at=None, age_seconds=None, expires_at=None, stale=True)
    return Freshness(
        source=source, issued_at=utc(issued_at), age_seconds=max(0, now - issued_at),
        expires_at=utc(expires_at) if expires_at is not None else None,
        stale=expires_at is not None and now > expires_at,
    )


RegistryCheck = Callable[[HolderView, str], "bool | None"]
"""Online only: does the typed ID number match the holder in the registry (None: no entry)?"""


class Verifier:
    """Verifies badge texts against a trust list and (optionally) a status list.

    ``max_status_age`` (seconds) can shorten, never lengthen, the status list's own signed
    time-to-live; past it the status data is stale and a badge that would be valid is
    ``status_unknown``. ``strict=False`` reads the EU DCC interop profile (see ``cose``).
    """

    def __init__(
        self,
        trust: TrustList,
        status: StatusList | None,
        *,
        skew_seconds: int = DEFAULT_SKEW_SECONDS,
        source: Source = "cached",
        prefix: str = BADGE_PREFIX,
        max_status_age: int | None = None,
        strict: bool = True,
    ):
        self.trust = trust
        self.status = status
        self.skew = skew_seconds
        self.source = source
        self.prefix = prefix
        self.max_status_age = max_status_age
        self.strict = strict

    def status_expires_at(self) -> int | None:
        """When the status data stops being usable (None: there is none)."""
        if self.status is None:
            return None
        if self.max_status_age is None:
            return self.status.expires_at
        return min(self.status.expires_at, self.status.issued_at + self.max_status_age)

    def verify(self, text: str, *, now: dt.datetime | None = None, id_number: str | None = None,
               registry: RegistryCheck | None = None) -> VerifyResult:
        """The verdict on one scanned text; with ``id_number``, 人证合一 is part of it."""
        at = int((now or dt.datetime.now(dt.UTC)).timestamp())
        status_fresh = (
            freshness(self.source, self.status.issued_at, self.status_expires_at(), at)
            if self.status else freshness("none", None, None, at)
        )
        trust_fresh = freshness(self.source, self.trust.issued_at, self.trust.expires_at, at)

        def result(verdict: Verdict, reason: str, **extra: object) -> VerifyResult:
            return VerifyResult(verdict=verdict, reason=reason, status=status_fresh, trust=trust_fresh, **extra)

        try:
            message = unwrap(text, self.prefix)
        except TransportError as exc:
            return result(Verdict.MALFORMED, str(exc))
        check = check_signature(message, self.trust.keys, strict=self.strict)
        kid = check.sign1.kid.hex() if check.sign1 and check.sign1.kid else None
        if check.verdict is not None:
            return result(check.verdict, check.reason, key_id=kid)
        assert check.sign1 is not None and check.key is not None
        try:
            claims = badge_claims.decode(check.sign1.payload)
        except badge_claims.MalformedClaims as exc:
            return result(Verdict.MALFORMED, str(exc), key_id=kid)
        key = check.key
        if key.signs_until is not None and claims.issued_at > key.signs_until + self.skew:
            return result(Verdict.INVALID_SIGNATURE, "signed after its key was retired", key_id=kid)
        holder = msgspec.structs.replace(claims.holder, id_check=claims.binding is not None)
        details: dict[str, Any] = {
            "key_id": kid, "holder": holder,
            "issued_at": utc(claims.issued_at), "expires_at": utc(claims.expires_at),
        }
        timing = time_verdict(claims.issued_at, claims.expires_at, at, self.skew)
        if timing is None and key.valid_until is not None and key.valid_until < at - self.skew:
            timing = (Verdict.EXPIRED, "its signing key's validity has ended")
        if timing is not None:
            return result(*timing, **details)
        salt = holder_binding.salt_for(key.kid, badge_claims.badge_id_for(claims.status_index))
        return self._status_and_holder(claims, holder, result, details, id_number, registry, salt,
                                       stale=status_fresh.stale or trust_fresh.stale)

    def _status_and_holder(self, claims: badge_claims.BadgeClaims, holder: HolderView, result: Callable[..., VerifyResult],
                           details: dict[str, Any], id_number: str | None, registry: RegistryCheck | None,
                           salt: bytes, *, stale: bool) -> VerifyResult:
        """Revoked (even by stale data: revocation is for good) → suspended → holder → freshness → valid."""
        index, status = claims.status_index, self.status
        listed = status is not None and status.covers(index)
        as_of = f"status as of {utc(status.issued_at).isoformat()}" if status is not None else ""
        if listed and status.is_revoked(index):  # type: ignore[union-attr]
            return result(Verdict.REVOKED, f"the badge or a certificate on it is revoked ({as_of})", **details)
        if listed and not stale and status.is_suspended(index):  # type: ignore[union-attr]
            return result(Verdict.SUSPENDED, f"the badge or a certificate on it is suspended ({as_of})", **details)
        holder_check, why = self._holder(claims, id_number, registry, salt, holder)
        details["holder_check"] = holder_check
        if holder_check is HolderCheck.MISMATCH:
            return result(Verdict.HOLDER_MISMATCH, why, **details)
        if status is None:
            return result(Verdict.STATUS_UNKNOWN, "genuine and current, but there is no status list: "
                          "revocation and suspension are not checked", **details)
        if stale:
            was = "; it was suspended then" if listed and status.is_suspended(index) else ""
            return result(Verdict.STATUS_UNKNOWN, f"genuine and current, but the {as_of} is older than its maximum "
                          f"age (or the trust list has expired){was}: refresh the lists", **details)
        newer = "; issued after this status list" if not listed else ""
        return result(Verdict.VALID, f"genuine, current, not revoked or suspended{newer}; {as_of}{why}", **details)

    @staticmethod
    def _holder(claims: badge_claims.BadgeClaims, id_number: str | None, registry: RegistryCheck | None,
                salt: bytes, holder: HolderView) -> tuple[HolderCheck, str]:
        """人证合一 and what to say about it: the registry's exact check when online, else the badge's binding."""
        if id_number is None:
            return HolderCheck.NOT_CHECKED, "; the holder is NOT checked: no ID number was typed"
        try:
            id_number = idnumber.normalise(id_number)
        except idnumber.InvalidIdNumber as exc:
            return HolderCheck.MISMATCH, f"the typed ID number is not a valid ID number: {exc}"
        known = registry(holder, id_number) if registry is not None else None
        if known is None and claims.binding is None:
            return HolderCheck.UNAVAILABLE, "; the holder CANNOT be checked: the badge carries no holder binding"
        if known is False or (known is None and claims.binding is not None and not claims.binding.matches(id_number, salt)):
            return HolderCheck.MISMATCH, "the ID number typed is not the badge holder's (人证不一)"
        return HolderCheck.MATCH, "; the ID number typed is the holder's"
