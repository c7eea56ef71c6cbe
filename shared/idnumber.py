"""Resident identity card numbers (居民身份证号码, GB 11643-1999).

The raw number is never stored: callers keep its keyed hash (for lookup and duplicate
detection) and its masked form (for people to read).
"""

from __future__ import annotations

import datetime as dt
import re

from cryptography.hazmat.primitives import hashes, hmac

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
_SHAPE = re.compile(r"^[0-9]{17}[0-9X]$", re.ASCII)


class InvalidIdNumber(ValueError):
    """The text is not a valid 18-digit resident identity card number."""


def check_character(first17: str) -> str:
    """The GB 11643-1999 check character (ISO 7064 MOD 11-2) of the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def normalise(text: str) -> str:
    """Validate an ID number and return it in canonical form (upper-case X), or raise."""
    number = text.strip().upper()
    if not _SHAPE.match(number):
        raise InvalidIdNumber("must be 17 digits followed by a digit or X")
    try:
        dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise InvalidIdNumber("digits 7-14 are not a valid date of birth") from None
    if check_character(number[:17]) != number[17]:
        raise InvalidIdNumber("check character does not match (GB 11643-1999)")
    return number


def mask(number: str) -> str:
    """The form people may see: first three and last four characters."""
    return number[:3] + "*" * (len(number) - 7) + number[-4:]


def keyed_hash(number: str, key: bytes) -> str:
    """HMAC-SHA256 of the canonical number under the deployment's secret key, as hex."""
    mac = hmac.HMAC(key, hashes.SHA256())
    mac.update(number.encode("ascii"))
    return mac.finalize().hex()


def make_valid(first17: str) -> str:
    """Complete 17 digits with their check character (for demo data and tests)."""
    return first17 + check_character(first17)
