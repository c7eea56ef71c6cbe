"""Resident identity card numbers (居民身份证号码, GB 11643-1999).

The raw number is never stored: callers keep its keyed hash (for lookup and duplicate
detection) and its masked form (for people to read).
"""

from __future__ import annotations

import datetime as dt
import re

from cryptography.hazmat.primitives import hashes, hmac

from shared.district import today as district_today
from shared.errors import Invalid

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
PROVINCES = frozenset({
    "11", "12", "13", "14", "15",  # 北京 天津 河北 山西 内蒙古
    "21", "22", "23",  # 辽宁 吉林 黑龙江
    "31", "32", "33", "34", "35", "36", "37",  # 上海 江苏 浙江 安徽 福建 江西 山东
    "41", "42", "43", "44", "45", "46",  # 河南 湖北 湖南 广东 广西 海南
    "50", "51", "52", "53", "54",  # 重庆 四川 贵州 云南 西藏
    "61", "62", "63", "64", "65",  # 陕西 甘肃 青海 宁夏 新疆
    "71", "81", "82", "83",  # 台湾; residence permits of Hong Kong, Macao and Taiwan residents
})
"""First-level region codes (GB/T 2260) that begin a resident ID number."""
FIRST_BIRTH_DATE = dt.date(1900, 1, 1)
_CHECK_CHARS = "10X98765432"
_SHAPE = re.compile(r"^[0-9]{17}[0-9X]$", re.ASCII)


class InvalidIdNumber(ValueError):
    """The text is not a valid 18-digit resident identity card number."""


def check_character(first17: str) -> str:
    """The GB 11643-1999 check character (ISO 7064 MOD 11-2) of the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def normalise(text: str, *, today: dt.date | None = None) -> str:
    """Validate an ID number and return it in canonical form (upper-case X), or raise.

    Besides the shape and the check character: the region must begin with a first-level
    code (``PROVINCES``; a foreigner's permanent residence card, 9 and such a code), and the
    date of birth must be between 1900-01-01 and ``today`` (default: today in the district).
    """
    number = text.strip().upper()
    if not _SHAPE.match(number):
        raise InvalidIdNumber("must be 17 digits followed by a digit or X")
    region = number[1:3] if number[0] == "9" else number[:2]
    if region not in PROVINCES:
        raise InvalidIdNumber(f"the region code {number[:6]} does not begin with a province-level code")
    try:
        born = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise InvalidIdNumber("digits 7-14 are not a valid date of birth") from None
    latest = today or district_today()
    if not FIRST_BIRTH_DATE <= born <= latest:
        raise InvalidIdNumber(f"the date of birth {born.isoformat()} is not between 1900-01-01 and today")
    if check_character(number[:17]) != number[17]:
        raise InvalidIdNumber("check character does not match (GB 11643-1999)")
    return number


def canonical(text: str, field: str = "id_number") -> str:
    """The number as ``normalise`` gives it; a number that is not valid is a rule broken on ``field``."""
    try:
        return normalise(text)
    except InvalidIdNumber as exc:
        raise Invalid(f"{field} {exc}", field=field, code="invalid_id_number") from None


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
