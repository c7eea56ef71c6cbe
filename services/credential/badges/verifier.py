"""Verifying a scanned badge: the same pure steps online (live lists) and offline (cached lists).

Order of the checks, each with its own verdict: transport and COSE structure (malformed) →
key id in the trust list (unknown_key) → signature with the key's recorded algorithm
(invalid_signature) → badge claims (malformed) → issued-at and expiry with clock skew
(not_yet_valid, expired) → status list (revoked, then suspended) → valid.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from contracts.badges import Freshness, Verdict, VerifyResult
from services.credential.badges import claims as badge_claims
from services.credential.badges import cose
from services.credential.badges.lists import StatusList, TrustedKey, TrustList
from services.credential.badges.transport import BADGE_PREFIX, TransportError, unwrap

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


def check_signature(message: bytes, keys: dict[bytes, TrustedKey]) -> SignatureCheck:
    """COSE structure → key id known → signature valid (with the key's own algorithm)."""
    try:
        sign1 = cose.parse_sign1(message)
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


class Verifier:
    """Verifies badge texts against a trust list and (optionally) a status list."""

    def __init__(
        self,
        trust: TrustList,
        status: StatusList | None,
        *,
        skew_seconds: int = DEFAULT_SKEW_SECONDS,
        source: Source = "cached",
        prefix: str = BADGE_PREFIX,
    ):
        self.trust = trust
        self.status = status
        self.skew = skew_seconds
        self.source = source
        self.prefix = prefix

    def verify(self, text: str, *, now: dt.datetime | None = None, id_number: str | None = None) -> VerifyResult:
        """The verdict on one scanned text."""
        at = int((now or dt.datetime.now(dt.UTC)).timestamp())
        status_fresh = (
            freshness(self.source, self.status.issued_at, self.status.expires_at, at)
            if self.status else freshness("none", None, None, at)
        )
        trust_fresh = freshness(self.source, self.trust.issued_at, self.trust.expires_at, at)

        def result(verdict: Verdict, reason: str, **extra: object) -> VerifyResult:
            return VerifyResult(verdict=verdict, reason=reason, status=status_fresh, trust=trust_fresh, **extra)

        try:
            message = unwrap(text, self.prefix)
        except TransportError as exc:
            return result(Verdict.MALFORMED, str(exc))
        check = check_signature(message, self.trust.keys)
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
        details = {
            "key_id": kid,
            "holder": claims.holder,
            "issued_at": utc(claims.issued_at),
            "expires_at": utc(claims.expires_at),
            "id_match": claims.id_matches(id_number) if id_number is not None else None,
        }
        timing = time_verdict(claims.issued_at, claims.expires_at, at, self.skew)
        if timing is None and key.valid_until is not None and key.valid_until < at - self.skew:
            timing = (Verdict.EXPIRED, "its signing key's validity has ended")
        if timing is not None:
            return result(*timing, **details)
        return self._status(claims, result, details)

    def _status(self, claims: badge_claims.BadgeClaims, result, details: dict[str, object]) -> VerifyResult:
        index = claims.status_index
        if self.status is None:
            return result(Verdict.VALID, "genuine and current; no status list to check revocation", **details)
        if not self.status.covers(index):
            return result(Verdict.VALID, "genuine and current; issued after this status list", **details)
        if self.status.is_revoked(index):
            return result(Verdict.REVOKED, "the badge or a certificate on it is revoked", **details)
        if self.status.is_suspended(index):
            return result(Verdict.SUSPENDED, "the badge or a certificate on it is suspended", **details)
        return result(Verdict.VALID, "genuine, current, not revoked or suspended", **details)

