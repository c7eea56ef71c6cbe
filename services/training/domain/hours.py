"""Class hours (学时) in exact arithmetic: counted internally as integer half-hours.

Courses may last a fractional number of hours, but only in halves (1.5, 2, 2.5 ...). Keeping
whole half-hours as integers makes every sum exact; hours are shown as ``half / 2``, which a
binary float represents exactly.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

MAX_CLASS_HOURS = 1000


class InvalidHours(ValueError):
    """The value is not a positive number of class hours in halves."""


def half_hours_of(hours: float | int | str | Decimal) -> int:
    """Positive class hours, in halves, as an integer count of half-hours; else raise."""
    if isinstance(hours, bool):
        raise InvalidHours("must be a number")
    try:
        exact = Decimal(str(hours))
    except InvalidOperation:
        raise InvalidHours("must be a number") from None
    if not exact.is_finite() or exact <= 0:
        raise InvalidHours("must be positive")
    if exact > MAX_CLASS_HOURS:
        raise InvalidHours(f"must be at most {MAX_CLASS_HOURS}")
    doubled = exact * 2
    if doubled != doubled.to_integral_value():
        raise InvalidHours("must be a whole number of half hours (e.g. 1.5, 2, 2.5)")
    return int(doubled)


def hours_of(half_hours: int) -> float:
    """Half-hours back to hours for display (exact: halves are binary fractions)."""
    return half_hours / 2
