"""Certificates (资格证书) held by staff: issued, renewed, suspended, reinstated, revoked.

A certificate's id is derived from its type and number, so recording the same number of the
same type twice collides in the event store. Validity is a matter of dates: every event
carries the date it takes effect, and ``domain.compliance`` reads the facts as on any date.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from shared.errors import Conflict, Invalid

CERTIFICATE_NAMESPACE = uuid5(NAMESPACE_URL, "urn:carecred:certificate")
REVOCATION_CATEGORIES = ("ethics_violation", "fraud", "error", "other")
RESULTS = ("passed", "failed")
"""A check's result (health: 合格/不合格; background: no record found / record found); certificates pass."""
MAX_VALIDITY_YEARS = 100
"""An expiry is at most this many years after the issue or renewal it follows."""


def certificate_id_for(cert_type: str, number: str) -> UUID:
    """The id of the certificate of this type with this number."""
    return uuid5(CERTIFICATE_NAMESPACE, f"{cert_type}:{number}")


def latest_expiry(start: dt.date) -> dt.date:
    """The last expiry date a validity starting on ``start`` may have (``MAX_VALIDITY_YEARS`` later)."""
    try:
        return start.replace(year=start.year + MAX_VALIDITY_YEARS)
    except ValueError:  # 29 February, in a year that has none
        return start.replace(year=start.year + MAX_VALIDITY_YEARS, day=28)


def _refuse_beyond_validity(expires_on: dt.date, start: dt.date, start_field: str) -> None:
    if expires_on > latest_expiry(start):
        raise Invalid(
            f"expires_on must be at most {MAX_VALIDITY_YEARS} years after {start_field} ({latest_expiry(start)})",
            field="expires_on", code="expiry_too_far",
        )


class Certificate(Aggregate):
    """One certificate of one person, with its status history."""

    TOPIC = "carecred.credential:Certificate"

    class Event(Aggregate.Event):
        TOPIC = "carecred.credential:Certificate.Event"
        actor: dict[str, Any]

    class Issued(Event, Aggregate.Created):
        TOPIC = "carecred.credential:Certificate.Issued.v1"
        cert_type: str
        number: str
        issuing_body: str
        issued_on: str
        expires_on: str
        holder_id: str
        note: str

    class IssuedV2(Event, Aggregate.Created):
        """Policy v2: a certificate with a level, or without an expiry, or a check (health, background)
        with its result; ``expires_on`` is the last valid day (None: it never expires)."""

        TOPIC = "carecred.credential:Certificate.Issued.v2"
        cert_type: str
        number: str
        issuing_body: str
        issued_on: str
        expires_on: str | None
        level: int | None
        result: str
        holder_id: str
        note: str

        def apply(self, aggregate: Any) -> None:
            aggregate.level = self.level
            aggregate.result = self.result

    class LevelRecorded(Event):
        """The level printed on a certificate recorded without one (a v1 record); an upgrade is a new certificate."""

        TOPIC = "carecred.credential:Certificate.LevelRecorded.v1"
        level: int
        note: str

    class Renewed(Event):
        TOPIC = "carecred.credential:Certificate.Renewed.v1"
        expires_on: str
        effective_on: str
        note: str

    class Suspended(Event):
        TOPIC = "carecred.credential:Certificate.Suspended.v1"
        reason: str
        effective_on: str
        until: str | None

    class Reinstated(Event):
        TOPIC = "carecred.credential:Certificate.Reinstated.v1"
        note: str
        effective_on: str

    class Revoked(Event):
        TOPIC = "carecred.credential:Certificate.Revoked.v1"
        reason: str
        category: str
        effective_on: str

    @staticmethod
    def create_id(cert_type: str, number: str) -> UUID:
        return certificate_id_for(cert_type, number)

    @event(Issued)
    def __init__(
        self, cert_type: str, number: str, issuing_body: str, issued_on: str, expires_on: str,
        holder_id: str, note: str, actor: dict[str, Any],
    ):
        self.cert_type = cert_type
        self.number = number
        self.issuing_body = issuing_body
        self.issued_on = issued_on
        self.expires_on = expires_on
        self.holder_id = holder_id
        self.status = "active"
        self.suspended_until: str | None = None
        self.last_change_on = issued_on
        self.level: int | None = None
        self.result = RESULTS[0]

    @classmethod
    def issue(
        cls, *, cert_type: str, number: str, issuing_body: str, issued_on: dt.date, expires_on: dt.date,
        holder_id: str, note: str, actor: dict[str, Any],
    ) -> Certificate:
        """A newly issued certificate (its validity must end after it starts)."""
        if expires_on <= issued_on:
            raise Invalid("expires_on must be after issued_on", field="expires_on", code="expiry_not_after_issue")
        _refuse_beyond_validity(expires_on, issued_on, "issued_on")
        return cls(
            cert_type=cert_type, number=number, issuing_body=issuing_body, issued_on=issued_on.isoformat(),
            expires_on=expires_on.isoformat(), holder_id=holder_id, note=note, actor=actor,
        )

    @classmethod
    def issue_v2(
        cls, *, cert_type: str, number: str, issuing_body: str, issued_on: dt.date, expires_on: dt.date | None,
        level: int | None, result: str, holder_id: str, note: str, actor: dict[str, Any],
    ) -> Certificate:
        """A certificate under policy v2: with a level, without an expiry (never expires), or a check's result."""
        if expires_on is not None:
            if expires_on <= issued_on:
                raise Invalid("expires_on must be after issued_on", field="expires_on", code="expiry_not_after_issue")
            _refuse_beyond_validity(expires_on, issued_on, "issued_on")
        if result not in RESULTS:
            raise Invalid(f"result must be one of {', '.join(RESULTS)}", field="result")
        return cls._create(
            cls.IssuedV2, cert_type=cert_type, number=number, issuing_body=issuing_body,
            issued_on=issued_on.isoformat(), expires_on=expires_on.isoformat() if expires_on else None,
            level=level, result=result, holder_id=holder_id, note=note, actor=actor,
        )

    # Commands: check, then record -------------------------------------------------------------

    def renew(self, *, expires_on: dt.date, effective_on: dt.date, note: str, actor: dict[str, Any]) -> None:
        """Extend the validity to a later expiry date."""
        self._refuse_if_revoked("renew")
        if self.expires_on is None:
            raise Conflict("the certificate never expires", code="never_expires", certificate_id=str(self.id))
        if expires_on.isoformat() <= self.expires_on:
            raise Invalid(
                f"the new expiry must be later than the current one ({self.expires_on})",
                field="expires_on", code="expiry_not_later",
            )
        self._check_effective(effective_on)
        _refuse_beyond_validity(expires_on, effective_on, "effective_on")
        self._renewed(expires_on=expires_on.isoformat(), effective_on=effective_on.isoformat(), note=note, actor=actor)

    def record_level(self, *, level: int, note: str, actor: dict[str, Any]) -> None:
        """Record the level printed on a certificate recorded without one (409 once it has one)."""
        self._refuse_if_revoked("correct")
        if self.level is not None:
            raise Conflict(
                f"the certificate's level is recorded ({self.level}); an upgrade is a new certificate",
                code="level_already_recorded", certificate_id=str(self.id),
            )
        self._level_recorded(level=level, note=note, actor=actor)

    def suspend(self, *, reason: str, effective_on: dt.date, until: dt.date | None, actor: dict[str, Any]) -> None:
        """Suspend an active certificate, until a date if known."""
        self._refuse_if_revoked("suspend")
        if self.status == "suspended" and (self.suspended_until is None or effective_on.isoformat() <= self.suspended_until):
            raise Conflict("the certificate is already suspended", code="already_suspended", certificate_id=str(self.id))
        self._check_effective(effective_on)
        if until is not None and until < effective_on:
            raise Invalid("until must not be before the suspension takes effect", field="until")
        self._suspended(
            reason=reason, effective_on=effective_on.isoformat(),
            until=until.isoformat() if until else None, actor=actor,
        )

    def reinstate(self, *, note: str, effective_on: dt.date, actor: dict[str, Any]) -> None:
        """Lift a suspension."""
        self._refuse_if_revoked("reinstate")
        if self.status != "suspended":
            raise Conflict("only a suspended certificate can be reinstated", code="not_suspended", certificate_id=str(self.id))
        self._check_effective(effective_on)
        self._reinstated(note=note, effective_on=effective_on.isoformat(), actor=actor)

    def revoke(self, *, reason: str, category: str, effective_on: dt.date, actor: dict[str, Any]) -> None:
        """Revoke for good (a mistake in a revocation is corrected by issuing again)."""
        if self.status == "revoked":
            raise Conflict("the certificate is already revoked", code="already_revoked", certificate_id=str(self.id))
        if category not in REVOCATION_CATEGORIES:
            raise Invalid(f"category must be one of {', '.join(REVOCATION_CATEGORIES)}", field="category")
        self._check_effective(effective_on)
        self._revoked(reason=reason, category=category, effective_on=effective_on.isoformat(), actor=actor)

    def _refuse_if_revoked(self, what: str) -> None:
        if self.status == "revoked":
            raise Conflict(f"a revoked certificate cannot be {what}d", code="certificate_revoked", certificate_id=str(self.id))

    def _check_effective(self, effective_on: dt.date) -> None:
        # Status history stays in date order, so "as on date D" has one answer.
        if effective_on.isoformat() < self.last_change_on:
            raise Invalid(
                f"effective_on must not be before the last change ({self.last_change_on})",
                field="effective_on", code="effective_date_out_of_order",
            )

    # Events ----------------------------------------------------------------------------------

    @event(Renewed)
    def _renewed(self, expires_on: str, effective_on: str, note: str, actor: dict[str, Any]) -> None:
        self.expires_on = expires_on
        self.last_change_on = effective_on

    @event(LevelRecorded)
    def _level_recorded(self, level: int, note: str, actor: dict[str, Any]) -> None:
        self.level = level

    @event(Suspended)
    def _suspended(self, reason: str, effective_on: str, until: str | None, actor: dict[str, Any]) -> None:
        self.status = "suspended"
        self.suspended_until = until
        self.last_change_on = effective_on

    @event(Reinstated)
    def _reinstated(self, note: str, effective_on: str, actor: dict[str, Any]) -> None:
        self.status = "active"
        self.last_change_on = effective_on

    @event(Revoked)
    def _revoked(self, reason: str, category: str, effective_on: str, actor: dict[str, Any]) -> None:
        self.status = "revoked"
        self.last_change_on = effective_on
