"""Badge aggregates: signing keys (their lifecycle, never their private halves) and badges.

A badge's id is derived from its status-list index, so two replicas that pick the same
index collide in the event store instead of sharing a bit of the status list.
"""

from __future__ import annotations

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from services.credential.badges.claims import badge_id_for
from shared.errors import Conflict

KEY_NAMESPACE = uuid5(NAMESPACE_URL, "urn:carecred:signing-key")
STATUSES = ("active", "suspended", "revoked")


def signing_key_id_for(kid_hex: str) -> UUID:
    return uuid5(KEY_NAMESPACE, kid_hex)


class SigningKey(Aggregate):
    """A key that signs badges and status lists, or the trust anchor that signs trust lists."""

    TOPIC = "carecred.credential:SigningKey"

    class Event(Aggregate.Event):
        TOPIC = "carecred.credential:SigningKey.Event"
        actor: dict[str, Any]

    class Generated(Event, Aggregate.Created):
        TOPIC = "carecred.credential:SigningKey.Generated.v1"
        kid: str
        purpose: str
        algorithm: int
        public_key: str
        """SubjectPublicKeyInfo, PEM."""

    class Activated(Event):
        TOPIC = "carecred.credential:SigningKey.Activated.v1"
        activated_at: str

    class Retired(Event):
        TOPIC = "carecred.credential:SigningKey.Retired.v1"
        retired_at: str
        valid_until: str
        """The expiry of the last badge it signed: it stays in the trust list until then."""

    class HandedOver(Event):
        """A retired trust anchor's signed statement naming its successor, kept for verifiers that pinned it."""

        TOPIC = "carecred.credential:SigningKey.HandedOver.v1"
        to_kid: str
        handed_over_at: str
        statement: str
        """The ``AnchorHandover`` COSE_Sign1, base64."""

    @staticmethod
    def create_id(kid: str, **_: Any) -> UUID:
        return signing_key_id_for(kid)

    @event(Generated)
    def __init__(self, kid: str, purpose: str, algorithm: int, public_key: str, actor: dict[str, Any]):
        self.kid = kid
        self.purpose = purpose
        self.algorithm = algorithm
        self.public_key = public_key
        self.activated_at: str | None = None
        self.retired_at: str | None = None
        self.valid_until: str | None = None
        self.handed_over_to: str | None = None

    def activate(self, at: str, actor: dict[str, Any]) -> None:
        if self.activated_at is not None:
            raise Conflict(f"key {self.kid} is already active", code="key_already_active")
        self._activated(activated_at=at, actor=actor)

    @event(Activated)
    def _activated(self, activated_at: str, actor: dict[str, Any]) -> None:
        self.activated_at = activated_at

    def retire(self, at: str, valid_until: str, actor: dict[str, Any]) -> None:
        if self.retired_at is not None:
            raise Conflict(f"key {self.kid} is already retired", code="key_already_retired")
        self._retired(retired_at=at, valid_until=max(at, valid_until), actor=actor)

    @event(Retired)
    def _retired(self, retired_at: str, valid_until: str, actor: dict[str, Any]) -> None:
        self.retired_at = retired_at
        self.valid_until = valid_until

    def hand_over(self, to_kid: str, at: str, statement: str, actor: dict[str, Any]) -> None:
        """Record the signed handover from this (outgoing) anchor to its successor."""
        if self.purpose != "anchor":
            raise Conflict(f"key {self.kid} is not a trust anchor", code="not_an_anchor")
        self._handed_over(to_kid=to_kid, handed_over_at=at, statement=statement, actor=actor)

    @event(HandedOver)
    def _handed_over(self, to_kid: str, handed_over_at: str, statement: str, actor: dict[str, Any]) -> None:
        self.handed_over_to = to_kid


class Badge(Aggregate):
    """A signed QR badge (工作证): whom and which certificates it shows, and its status."""

    TOPIC = "carecred.credential:Badge"

    class Event(Aggregate.Event):
        TOPIC = "carecred.credential:Badge.Event"
        actor: dict[str, Any]

    class Issued(Event, Aggregate.Created):
        TOPIC = "carecred.credential:Badge.Issued.v1"
        status_index: int
        staff_id: str
        nursery_id: str
        roles: list[str]
        certificates: list[dict[str, str]]
        """``{"type", "number", "expires_on"}`` of each certificate on the badge."""
        kid: str
        issued_at: str
        expires_at: str

    class StatusChanged(Event):
        TOPIC = "carecred.credential:Badge.StatusChanged.v1"
        status: str
        reason: str

    class CertificateStatusChanged(Event):
        """A certificate on the badge changed status. Numbers are unique per certificate type only, so
        the type says which; events recorded before it was carried (class version 1) have none and
        apply to every certificate on the badge with that number."""

        TOPIC = "carecred.credential:Badge.CertificateStatusChanged.v1"
        class_version = 2
        number: str
        status: str
        reason: str
        cert_type: str | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["cert_type"] = None

    @staticmethod
    def create_id(status_index: int, **_: Any) -> UUID:
        return badge_id_for(status_index)

    @event(Issued)
    def __init__(
        self, status_index: int, staff_id: str, nursery_id: str, roles: list[str],
        certificates: list[dict[str, str]], kid: str, issued_at: str, expires_at: str, actor: dict[str, Any],
    ):
        self.status_index = status_index
        self.staff_id = staff_id
        self.nursery_id = nursery_id
        self.roles = roles
        self.certificates = certificates
        self.kid = kid
        self.issued_at = issued_at
        self.expires_at = expires_at
        self.badge_status = "active"
        self.certificate_status = {(c["type"], c["number"]): "active" for c in certificates}
        """By (type, number): two certificates of different types may share a number."""

    @property
    def status(self) -> str:
        """Revoked if the badge or any certificate on it is; else suspended likewise; else active."""
        states = {self.badge_status, *self.certificate_status.values()}
        return "revoked" if "revoked" in states else "suspended" if "suspended" in states else "active"

    def change_status(self, status: str, reason: str, actor: dict[str, Any]) -> None:
        if status not in STATUSES:
            raise ValueError(f"unknown badge status {status!r}")
        if self.badge_status == "revoked":
            raise Conflict("a revoked badge stays revoked; issue a new one", code="badge_revoked")
        if self.badge_status == status:
            raise Conflict(f"the badge is already {status}", code=f"badge_already_{status}")
        self._status_changed(status=status, reason=reason, actor=actor)

    @event(StatusChanged)
    def _status_changed(self, status: str, reason: str, actor: dict[str, Any]) -> None:
        self.badge_status = status

    def change_certificate_status(self, number: str, status: str, reason: str, actor: dict[str, Any],
                                  cert_type: str | None = None) -> bool:
        """Record a certificate's new status on this badge; False when nothing changes.

        ``cert_type`` None: every certificate on the badge with this number (any type)."""
        if status not in STATUSES:
            raise ValueError(f"unknown certificate status {status!r}")
        shown = [key for key in self.certificate_status if _is(key, number, cert_type)]
        if all(self.certificate_status[key] == status for key in shown):
            return False
        self._certificate_status_changed(number=number, status=status, reason=reason, actor=actor, cert_type=cert_type)
        return True

    @event(CertificateStatusChanged)
    def _certificate_status_changed(self, number: str, status: str, reason: str, actor: dict[str, Any],
                                    cert_type: str | None = None) -> None:
        for key in self.certificate_status:
            if _is(key, number, cert_type):
                self.certificate_status[key] = status


def _is(key: tuple[str, str], number: str, cert_type: str | None) -> bool:
    """Whether the certificate (type, number) is the one named (any type when ``cert_type`` is None)."""
    return key[1] == number and (cert_type is None or key[0] == cert_type)
