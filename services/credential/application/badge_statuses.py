"""Badge status: revocation and suspension of a badge or of a certificate on it, and the status list.

The lead's certificate workflow calls ``mark_certificate(number, status)`` when a certificate
is suspended, reinstated or revoked; every badge that shows it records the change.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple
from uuid import UUID

from contracts.badges import BadgeView
from services.credential.badges import cose
from services.credential.badges.claims import badge_id_for
from services.credential.domain.badges import STATUSES, Badge
from services.credential.application.badge_keys import ISSUER, BadgeKeys
from services.credential.badges.lists import StatusList, bitstring
from services.credential.read_models.badges import BadgeProjector
from shared.application import ServiceApplication
from shared.errors import Invalid, NotFound


class StatusBits(NamedTuple):
    """The status list's contents, without its time: how many indexes, and which are revoked or suspended."""

    size: int
    revoked: bytes
    suspended: bytes


_COLUMNS = "badge_id, staff_id, nursery_id, status_index, kid, issued_at, expires_at, status, badge_status"


class BadgeStatuses:
    """Status changes as events on ``Badge`` aggregates; the status list built from the read model."""

    def __init__(self, app: ServiceApplication, keys: BadgeKeys, projector: BadgeProjector):
        self.app = app
        self.keys = keys
        self.projector = projector

    def change_badge_status(self, badge_id: UUID | str, status: str, *, reason: str, actor: dict[str, Any]) -> BadgeView:
        """Revoke, suspend or reinstate (``active``) one badge."""
        badge_id = UUID(str(badge_id))
        if status not in STATUSES:
            raise Invalid(f"status must be one of {', '.join(STATUSES)}", field="status")
        badge: Badge = self.app.get_or_404(badge_id, "badge")
        if not isinstance(badge, Badge):
            raise NotFound(f"no badge with id {badge_id}")
        badge.change_status(status, reason, actor)
        self.app.save(badge)
        return self.badge(badge_id)

    def mark_status(self, status_index: int, status: str, *, reason: str, actor: dict[str, Any]) -> BadgeView:
        """The same, addressed by status-list index."""
        return self.change_badge_status(badge_id_for(status_index), status, reason=reason, actor=actor)

    def mark_certificate(self, number: str, status: str, *, reason: str, actor: dict[str, Any],
                         cert_type: str | None = None) -> list[str]:
        """A certificate's new status (active / suspended / revoked) on every badge that shows it.

        Numbers are unique per type only: give ``cert_type`` to name one certificate (without it,
        every certificate with the number, of any type)."""
        if status not in STATUSES:
            raise Invalid(f"status must be one of {', '.join(STATUSES)}", field="status")
        changed = []
        for view in self.badges_with_certificate(number, cert_type):
            badge: Badge = self.app.repository.get(UUID(view.badge_id))
            if badge.change_certificate_status(number, status, reason, actor, cert_type=cert_type):
                changed.append(badge)
        if changed:
            self.app.save(*changed)
        return [str(b.id) for b in changed]

    def badges_with_certificate(self, number: str, cert_type: str | None = None) -> list[BadgeView]:
        """Every badge that shows the certificate with this number (and type, if given)."""
        self.projector.catch_up("badges")
        of_type, params = (" AND type = ?", (number, cert_type)) if cert_type is not None else ("", (number,))
        rows = self.app.store.query(
            f"SELECT {_COLUMNS} FROM badges WHERE badge_id IN"
            f" (SELECT badge_id FROM badge_certificates WHERE number = ?{of_type}) ORDER BY status_index",
            params,
        )
        return [self._view(r) for r in rows]

    def badges_of(self, staff_id: str) -> list[BadgeView]:
        self.projector.catch_up("badges")
        rows = self.app.store.query(f"SELECT {_COLUMNS} FROM badges WHERE staff_id = ? ORDER BY status_index", (staff_id,))
        return [self._view(r) for r in rows]

    def badge(self, badge_id: UUID | str) -> BadgeView:
        self.projector.catch_up("badges")
        row = self.app.store.query_one(f"SELECT {_COLUMNS} FROM badges WHERE badge_id = ?", (str(badge_id),))
        if row is None:
            raise NotFound(f"no badge with id {badge_id}")
        return self._view(row)

    def _view(self, row: Any) -> BadgeView:
        certificates = self.app.store.query(
            "SELECT type, number, expires_on, status FROM badge_certificates WHERE badge_id = ? ORDER BY type, number",
            (row["badge_id"],),
        )
        return BadgeView(
            badge_id=row["badge_id"], staff_id=row["staff_id"], nursery_id=row["nursery_id"],
            status_index=int(row["status_index"]), key_id=row["kid"], issued_at=row["issued_at"],
            expires_at=row["expires_at"], status=row["status"], badge_status=row["badge_status"],
            certificates=[dict(c) for c in certificates],
        )

    # The status list ---------------------------------------------------------------------------

    def status_bits(self) -> StatusBits:
        """The revoked and suspended bits of every index issued so far."""
        self.projector.catch_up("badges")
        top = self.app.store.query_one("SELECT MAX(status_index) AS top FROM badges")
        size = int(top["top"]) + 1 if top and top["top"] is not None else 0
        rows = self.app.store.query("SELECT status_index, status FROM badges WHERE status <> 'active'")
        revoked = {int(r["status_index"]) for r in rows if r["status"] == "revoked"}
        suspended = {int(r["status_index"]) for r in rows if r["status"] == "suspended"}
        return StatusBits(size, bitstring(revoked, size), bitstring(suspended, size))

    def status_list(self, now: dt.datetime | None = None, bits: StatusBits | None = None) -> StatusList:
        """Revoked and suspended bits for every index issued so far, as of now, for the maximum age.

        ``bits`` are the ``status_bits()`` when the caller has them at hand (kept in memory).
        """
        at = int((now or dt.datetime.now(dt.UTC)).timestamp())
        size, revoked, suspended = self.status_bits() if bits is None else bits
        return StatusList(issuer=ISSUER, issued_at=at, ttl=self.app.settings.badge_status_max_age_seconds, size=size,
                          revoked=revoked, suspended=suspended)

    def signed_status_list(self, now: dt.datetime | None = None) -> bytes:
        """The status list as COSE_Sign1, signed by the active badge key."""
        key = self.keys.active()
        assert key is not None
        return self.status_list(now).sign(
            self.keys.private_key(key.kid), bytes.fromhex(key.kid), cose.SIGNING_ALGORITHMS[key.algorithm]
        )
