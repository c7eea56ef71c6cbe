"""The 人证合一 / 持证上岗 rule: may this person work in this role on date D?

A pure function of the recorded certificate facts (validity dates, and status changes with
the dates they take effect) and of the date: no job runs when a certificate lapses, the
answer for "today" simply changes. This is the one place the rule lives.
"""

from __future__ import annotations

import datetime as dt
from typing import Iterable, Iterator, Sequence

import msgspec

from services.credential.domain.policy import Policy, RequirementGroup, RoleSpec


class ExpiryChange(msgspec.Struct, frozen=True):
    """From ``on``, the certificate expires at the end of ``expires_on`` (None: it never expires)."""

    on: str
    expires_on: str | None


class StatusChange(msgspec.Struct, frozen=True, kw_only=True):
    """From ``on``, the certificate is ``status`` (active, suspended or revoked)."""

    on: str
    status: str
    until: str | None = None
    """A suspension's last day, if known."""


class CertificateFacts(msgspec.Struct, frozen=True, kw_only=True):
    """What is recorded about one certificate, enough to judge it on any date."""

    certificate_id: str
    cert_type: str
    number: str
    holder_id: str
    issued_on: str
    expiries: tuple[ExpiryChange, ...]
    changes: tuple[StatusChange, ...] = ()
    level: int | None = None
    """Policy v2: the level it was issued at (5..1 for 五级..一级); None for a v1 record or an unlevelled type."""
    result: str = "passed"
    """Policy v2: a check's result; a failed check is never valid (v1 records passed)."""


class Shortfall(msgspec.Struct, kw_only=True, frozen=True):
    """One required certificate type the person does not validly hold on the date.

    ``problem`` is missing, not_yet_valid, expired, suspended, revoked, failed (a check's result),
    level_too_low (none held at the required level) or recheck_due (older than the role's interval).
    """

    cert_type: str
    problem: str
    certificate_id: str | None = None
    number: str | None = None
    expires_on: str | None = None


class GroupResult(msgspec.Struct, kw_only=True, frozen=True):
    """One requirement group of a role (``all_of`` or ``any_of``), and whether it is met."""

    rule: str
    cert_types: tuple[str, ...]
    satisfied: bool
    shortfalls: tuple[Shortfall, ...]


class Decision(msgspec.Struct, kw_only=True, frozen=True):
    """Whether a person may work in a role on a date (持证上岗), and by which policy version."""

    role: str
    on: str
    compliant: bool
    policy_version: int
    requirements: tuple[GroupResult, ...]


def expiry_on(facts: CertificateFacts, on: dt.date) -> str | None:
    """The expiry date in force on ``on`` (a renewal counts from its effective date; None: never)."""
    return _expiry(facts, on.isoformat())


def _expiry(facts: CertificateFacts, day: str) -> str | None:
    current = facts.expiries[0].expires_on
    for change in facts.expiries:
        if change.on <= day:
            current = change.expires_on
    return current


def standing_on(facts: CertificateFacts, on: dt.date) -> str:
    """valid, not_yet_valid, expired, suspended or revoked, as on that date."""
    return _standing(facts, on.isoformat())


def _standing(facts: CertificateFacts, day: str) -> str:
    """``standing_on`` for the day in ISO form (the rule judges many certificates on one day)."""
    status, until = "active", None
    for change in facts.changes:  # recorded in date order
        if change.on > day:
            break
        status, until = change.status, change.until
    if status == "suspended" and until is not None and day > until:
        status = "active"  # the suspension ran out
    if status == "revoked":
        return "revoked"
    if status == "suspended":
        return "suspended"
    if facts.result != "passed":
        return "failed"
    if day < facts.issued_on:
        return "not_yet_valid"
    expiry = _expiry(facts, day)
    if expiry is not None and day > expiry:
        return "expired"
    return "valid"


def checked_on(facts: CertificateFacts, on: dt.date) -> str:
    """The day of the check (or renewal) in force on ``on``: where a role's re-check interval counts from."""
    day = on.isoformat()
    return max((c.on for c in facts.expiries if c.on <= day), default=facts.issued_on)


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (the month's last day when it has no such day)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover


def _best(held: Sequence[CertificateFacts], on: dt.date) -> tuple[CertificateFacts, str] | None:
    """The certificate of one type that speaks for the person: a valid one, else the latest issued."""
    if not held:
        return None
    day = on.isoformat()
    judged = [(f, _standing(f, day)) for f in held]
    valid = [j for j in judged if j[1] == "valid"]
    if len(valid) == 1:
        return valid[0]
    if valid:
        return max(valid, key=lambda j: _expiry(j[0], day) or "9999-99-99")
    return max(judged, key=lambda j: (j[0].issued_on, j[0].number))


def _shortfall(cert_type: str, held: Sequence[CertificateFacts], on: dt.date,
               group: RequirementGroup | None = None) -> Shortfall | None:
    min_level = group.min_level if group is not None else None
    recheck = group.recheck_months if group is not None else None
    if min_level is not None and held:
        levelled = [f for f in held if f.level is not None and f.level <= min_level]
        if not levelled:
            facts = max(held, key=lambda f: (f.issued_on, f.number))
            return Shortfall(cert_type=cert_type, problem="level_too_low", certificate_id=facts.certificate_id,
                             number=facts.number, expires_on=expiry_on(facts, on))
        held = levelled
    if recheck is not None:
        fresh = [f for f in held if add_months(dt.date.fromisoformat(checked_on(f, on)), recheck) > on]
        if held and not fresh:
            facts = max(held, key=lambda f: checked_on(f, on))
            return Shortfall(cert_type=cert_type, problem="recheck_due", certificate_id=facts.certificate_id,
                             number=facts.number, expires_on=expiry_on(facts, on))
        held = fresh
    best = _best(held, on)
    if best is None:
        return Shortfall(cert_type=cert_type, problem="missing")
    facts, standing = best
    if standing == "valid":
        return None
    return Shortfall(
        cert_type=cert_type, problem=standing, certificate_id=facts.certificate_id,
        number=facts.number, expires_on=expiry_on(facts, on),
    )


def evaluate(policy: Policy, role: RoleSpec, certificates: Iterable[CertificateFacts], on: dt.date) -> Decision:
    """Whether the holder of ``certificates`` may work in ``role`` on ``on``, with every shortfall."""
    results = [
        GroupResult(rule=rule, cert_types=types, satisfied=satisfied, shortfalls=() if satisfied else shortfalls)
        for rule, types, satisfied, shortfalls in _groups(role, certificates, on)
    ]
    return Decision(
        role=role.code, on=on.isoformat(), compliant=all(r.satisfied for r in results),
        policy_version=policy.version, requirements=tuple(results),
    )


def complies(role: RoleSpec, certificates: Iterable[CertificateFacts], on: dt.date) -> bool:
    """``evaluate``'s verdict alone (the district report counts people; it shows no shortfalls)."""
    return all(satisfied for _, _, satisfied, _ in _groups(role, certificates, on))


def _groups(role: RoleSpec, certificates: Iterable[CertificateFacts],
            on: dt.date) -> Iterator[tuple[str, tuple[str, ...], bool, tuple[Shortfall, ...]]]:
    """Each requirement group of the role: its rule, types, whether it is met, and the shortfalls."""
    by_type: dict[str, list[CertificateFacts]] = {}
    for facts in certificates:
        by_type.setdefault(facts.cert_type, []).append(facts)
    for group in role.requires:
        rule = "all_of" if group.all_of is not None else "any_of"
        types = tuple(group.all_of if group.all_of is not None else group.any_of or ())
        shortfalls = tuple(s for t in types if (s := _shortfall(t, by_type.get(t, []), on, group)) is not None)
        yield rule, types, not shortfalls if rule == "all_of" else len(shortfalls) < len(types), shortfalls


def holds_valid(certificates: Iterable[CertificateFacts], cert_type: str, on: dt.date) -> bool:
    """Whether any of the certificates is of ``cert_type`` and valid on ``on``."""
    return any(f.cert_type == cert_type and standing_on(f, on) == "valid" for f in certificates)


def expires_within(facts: CertificateFacts, on: dt.date, days: int) -> int | None:
    """Days left when the certificate is valid on ``on`` and expires within ``days`` days, else None."""
    expiry = expiry_on(facts, on)
    if standing_on(facts, on) != "valid" or expiry is None:
        return None
    left = (dt.date.fromisoformat(expiry) - on).days
    return left if left <= days else None


def assignment_active(start_on: str, end_on: str | None, on: dt.date) -> bool:
    """An assignment is active from its start through its last day (inclusive)."""
    day = on.isoformat()
    return start_on <= day and (end_on is None or day <= end_on)
