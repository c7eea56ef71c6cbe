"""Holder binding (人证合一) without disclosure: a badge proves whose it is without giving away the ID number.

A badge carries ``[iterations, check]``: ``check`` is the first ``CHECK_BYTES`` bytes of
PBKDF2-HMAC-SHA256(canonical ID number, salt, iterations). The salt is the signing key's id
(8 bytes, random per key and so per deployment) followed by the badge id (16 bytes, one per
status-list index): unique to each badge and already on it, so it costs no QR space. The
inspector types the number from the ID card; the phone (Web Crypto's native PBKDF2) or
``carecred verify`` recomputes the check. Nothing else about the number is on the badge: no
region, no birth date, no digit.

Why this protects the number (the full computation is in ``docs/badges.md``): an attacker with
the badge must run the same slow function once per candidate ID number, and there are about
2·10^10 candidates (region codes × birth dates × sequence numbers of one sex; the check
character is determined), so trying them all costs about a hundred core-years at the default
iterations. And because the check is only 16 bits, even a finished search leaves every
65,536th candidate matching: hundreds of thousands of ID numbers fit any badge, so the badge
never singles one out. The price: a wrong ID number matches by chance once in 65,536 — the inspector also
compares the name and photo on the ID card, and online the registry's exact keyed hash decides.

Both the issuer and every verifier compute this in the same way; the vectors in
``tests/vectors/holder_binding.json`` are checked by the Python and the JavaScript tests.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from uuid import UUID

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

from shared import idnumber

MIN_ITERATIONS, MAX_ITERATIONS = 100_000, 5_000_000
"""What a verifier accepts: below, the binding protects too little; above, a phone would hang."""
CHECK_BYTES = 2


def salt_for(kid: bytes, badge_id: UUID) -> bytes:
    """The salt of a badge's binding: its signing key id, then its badge id."""
    return kid + badge_id.bytes


@dataclass(frozen=True)
class HolderBinding:
    """What a badge carries to bind it to its holder's ID number."""

    iterations: int
    check: bytes

    def to_cbor(self) -> list[object]:
        return [self.iterations, self.check]

    @classmethod
    def from_cbor(cls, value: object) -> HolderBinding:
        """The binding as a badge carries it; ``ValueError`` when it has the wrong shape or parameters."""
        if not (isinstance(value, list) and len(value) == 2):
            raise ValueError("the holder binding is not [iterations, check]")
        iterations, check = value
        if isinstance(iterations, bool) or not isinstance(iterations, int):
            raise ValueError("the holder binding's iterations are not an integer")
        if not MIN_ITERATIONS <= iterations <= MAX_ITERATIONS:
            raise ValueError(f"the holder binding's iterations {iterations} are outside "
                             f"{MIN_ITERATIONS}..{MAX_ITERATIONS}")
        if not (isinstance(check, bytes) and len(check) == CHECK_BYTES):
            raise ValueError(f"the holder binding's check is not {CHECK_BYTES} bytes")
        return cls(iterations, check)

    def matches(self, typed_number: str, salt: bytes) -> bool:
        """Does the typed ID number (any case, spaces around) fit the badge with this salt?"""
        try:
            number = idnumber.normalise(typed_number)
        except idnumber.InvalidIdNumber:
            return False
        return hmac.compare_digest(check_of(number, salt, self.iterations), self.check)


def check_of(canonical_number: str, salt: bytes, iterations: int) -> bytes:
    """The truncated PBKDF2-HMAC-SHA256 of a canonical ID number."""
    kdf = PBKDF2HMAC(algorithm=hashes.SHA256(), length=CHECK_BYTES, salt=salt, iterations=iterations)
    return kdf.derive(canonical_number.encode("ascii"))


def check_iterations(iterations: int) -> None:
    """Refuse a setting whose badges verifiers would refuse (``CARECRED_BADGE_HOLDER_ITERATIONS``)."""
    if not MIN_ITERATIONS <= iterations <= MAX_ITERATIONS:
        raise ValueError(f"holder-binding iterations must be {MIN_ITERATIONS}..{MAX_ITERATIONS}, not {iterations}")


def bind(canonical_number: str, salt: bytes, iterations: int) -> HolderBinding:
    """The binding of a badge with this salt (``salt_for``).

    ``iterations`` is ``Settings.badge_holder_iterations`` (default 200,000: about 0.17 s a guess on
    one core of the reference machine natively, 0.13-0.16 s in its Chromium, see docs/badges.md; well
    under half a second on a phone, where Web Crypto runs PBKDF2 natively)."""
    check_iterations(iterations)
    return HolderBinding(iterations, check_of(canonical_number, salt, iterations))
