"""Training rules (培训规则): hours per category per role, versioned, adopted by an event.

Rules v1 are the constants of ``requirement.py`` (72 skills / 40 ethics class hours for every
role, every year, no pro-rating); a store that never adopted rules answers with them, and
every year before the first adopted version keeps them. Each adopted version applies from a
calendar year on: the rules of year Y are the highest version adopted whose first year is at
most Y, so adopting new rules never changes the answer for an earlier year.

Pro-rating (documented in ``docs/training-rules.md``): a person who is in post for only part
of year Y owes ``hours x months / 12``, rounded up to the half hour, where ``months`` counts
the calendar months of Y in which they held any assignment for at least one day. A person
with several roles in the year owes, per category, the highest of their roles' hours. A
person of whom no assignment is known at all owes the full year (the registry never said).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Iterable, Mapping
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from services.training.domain.requirement import CATEGORIES, REQUIRED_HALF_HOURS

RULES_NAMESPACE = uuid5(NAMESPACE_URL, "urn:carecred:training-rules")
FIRST_VERSION = 1
"""The constants; never adopted by an event, so the first adopted version is 2."""


def rules_id_for(version: int) -> UUID:
    """The aggregate id of a rules version: adopting a version twice collides in the event store."""
    return uuid5(RULES_NAMESPACE, str(version))


class TrainingRules(Aggregate):
    """One version of the training rules, adopted by the registrar."""

    TOPIC = "carecred.training:TrainingRules"

    class Event(Aggregate.Event):
        TOPIC = "carecred.training:TrainingRules.Event"
        actor: dict[str, Any]

    class Adopted(Event, Aggregate.Created):
        TOPIC = "carecred.training:TrainingRules.Adopted.v1"
        version: int
        applies_from_year: int
        default: dict[str, int]
        """Half-hours per category for a role the rules do not name."""
        roles: dict[str, dict[str, int]]
        """Half-hours per category, by role code (the credential service's role codes)."""
        pro_rata: bool
        note: str

    @staticmethod
    def create_id(version: int) -> UUID:
        return rules_id_for(version)

    @event(Adopted)
    def __init__(
        self, version: int, applies_from_year: int, default: dict[str, int], roles: dict[str, dict[str, int]],
        pro_rata: bool, note: str, actor: dict[str, Any],
    ):
        self.version = version
        self.applies_from_year = applies_from_year
        self.default = default
        self.roles = roles
        self.pro_rata = pro_rata
        self.note = note


@dataclass(frozen=True)
class Rules:
    """A rules version as the ledger applies it (half-hours)."""

    version: int
    applies_from_year: int
    default: Mapping[str, int]
    roles: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    pro_rata: bool = False

    def hours_for_role(self, role: str | None) -> dict[str, int]:
        hours = self.roles.get(role, self.default) if role is not None else self.default
        return {c: int(hours.get(c, 0)) for c in CATEGORIES}


RULES_V1 = Rules(version=FIRST_VERSION, applies_from_year=2000, default=dict(REQUIRED_HALF_HOURS))
"""What every store answered before rules were data: 72/40 for everyone, no pro-rating."""


def rules_for_year(adopted: Iterable[Rules], year: int) -> Rules:
    """The rules of a year: the highest adopted version applying from that year or earlier, else v1."""
    best = RULES_V1
    for rules in adopted:
        if rules.applies_from_year <= year and rules.version > best.version:
            best = rules
    return best


@dataclass(frozen=True)
class Span:
    """One assignment: a role held from a day, to a day (inclusive) or still."""

    role: str
    starts_on: date
    ends_on: date | None = None


def months_in_post(spans: Iterable[Span], year: int) -> int:
    """The calendar months of ``year`` in which any assignment held for at least one day (0-12)."""
    months: set[int] = set()
    first, last = date(year, 1, 1), date(year, 12, 31)
    for span in spans:
        start = max(span.starts_on, first)
        end = min(span.ends_on or last, last)
        if start > end:
            continue
        months.update(range(start.month, end.month + 1))
    return len(months)


def pro_rated(half_hours: int, months: int) -> int:
    """``half_hours x months / 12``, rounded up to a whole half-hour (exact integer arithmetic)."""
    return -(-half_hours * months // 12)


@dataclass(frozen=True)
class Requirement:
    """What one person owes in one year, and why."""

    rules_version: int
    required: dict[str, int]
    """Half-hours per category."""
    roles: tuple[str, ...]
    """The roles held in the year (empty when no assignment is known)."""
    months_in_post: int | None
    """Months counted for pro-rating; None when the rules do not pro-rate or no assignment is known."""


def requirement(rules: Rules, spans: list[Span], year: int) -> Requirement:
    """A person's requirement for a year under ``rules`` (see the module's rule)."""
    if not rules.pro_rata:
        return Requirement(rules.version, rules.hours_for_role(None), (), None)
    if not spans:
        return Requirement(rules.version, rules.hours_for_role(None), (), None)
    first, last = date(year, 1, 1), date(year, 12, 31)
    held = [s for s in spans if s.starts_on <= last and (s.ends_on is None or s.ends_on >= first)]
    roles = tuple(sorted({s.role for s in held}))
    full = dict.fromkeys(CATEGORIES, 0)
    for role in roles:
        for category, half_hours in rules.hours_for_role(role).items():
            full[category] = max(full[category], half_hours)
    months = months_in_post(held, year)
    return Requirement(rules.version, {c: pro_rated(h, months) for c, h in full.items()}, roles, months)
