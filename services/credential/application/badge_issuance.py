"""Badges for compliant people, and certificate changes carried onto the badges that show them."""

from __future__ import annotations

import datetime as dt
from typing import Any, Iterable
from uuid import UUID

from contracts.badges import BadgeCertificate, BadgeHolder, IssuedBadge
from services.credential.application.badges import badges_for
from services.credential.domain.certificate import Certificate
from services.credential.application.common import today
from shared.errors import Conflict, Invalid


class BadgeUseCases:
    """Issuing a badge only to a person compliant today (持证上岗), and keeping badge status in step."""

    def issue_badge(
        self: Any, staff_id: UUID, *, nursery_id: UUID | None, id_number: str | None, actor: dict[str, Any],
        visible_to: UUID | None = None,
    ) -> IssuedBadge:
        """Sign a badge for the person's active roles at a nursery; refused (409) unless compliant today."""
        on = today()
        profile = self.profile(staff_id, on=on, visible_to=visible_to, with_integrity=False)
        active = [a for a in profile.assignments if a.active]
        nurseries = sorted({a.nursery_id for a in active})
        if nursery_id is None:
            if len(nurseries) != 1:
                raise Invalid("name the nursery: the person works at " + (", ".join(nurseries) or "no nursery"),
                              field="nursery_id")
            nursery_id = UUID(nurseries[0])
        here = [a for a in active if a.nursery_id == str(nursery_id)]
        if not here:
            raise Conflict("the person has no active assignment at this nursery today", code="not_assigned",
                           nursery_id=str(nursery_id))
        failing = [a for a in here if not (a.compliance and a.compliance.compliant)]
        if failing:
            raise Conflict(
                "the person is not compliant today (持证上岗): no badge",
                code="not_compliant",
                roles=[{"role": a.role, "requirements": [
                    {"cert_types": r.cert_types, "shortfalls": [s.problem + ":" + s.cert_type for s in r.shortfalls]}
                    for r in (a.compliance.requirements if a.compliance else []) if not r.satisfied]}
                    for a in failing],
            )
        needed = {t for a in here for r in a.compliance.requirements for t in r.cert_types}  # type: ignore[union-attr]
        shown = [
            BadgeCertificate(type=c.cert_type, number=c.number, expires_on=dt.date.fromisoformat(c.expires_on))
            for c in profile.certificates if c.cert_type in needed and c.standing == "valid"
        ]
        nursery = self.nursery(nursery_id)
        holder = BadgeHolder(
            staff_id=profile.staff_id, name=profile.name, nursery_id=str(nursery_id),
            nursery_name=nursery.name, roles=sorted({a.role for a in here}), certificates=shown,
        )
        id_hash = self.store.query_one("SELECT id_hash FROM staff WHERE staff_id = ?", (profile.staff_id,))["id_hash"]
        return badges_for(self).issuer.issue(holder, actor=actor, id_number=id_number, id_hash=id_hash)

    def badges_following(self: Any, certificates: Iterable[Certificate], *, reason: str,
                         actor: dict[str, Any]) -> list[Any]:
        """The badges showing these certificates, with each certificate's new status recorded on them."""
        statuses = badges_for(self).statuses
        changed: dict[str, Any] = {}
        for certificate in certificates:
            for view in statuses.badges_with_certificate(certificate.number, certificate.cert_type):
                badge = changed.get(view.badge_id) or self.repository.get(UUID(view.badge_id))
                if badge.change_certificate_status(certificate.number, certificate.status, reason, actor,
                                                   cert_type=certificate.cert_type):
                    changed[view.badge_id] = badge
        return list(changed.values())

    def save_with_badges(self: Any, *aggregates: Any, certificates: Iterable[Certificate], reason: str,
                         actor: dict[str, Any]) -> None:
        """Save a certificate change and its effect on badges in one transaction."""
        badges = self.badges_following(certificates, reason=reason, actor=actor)
        self.save_and_project(*aggregates, *badges, also=[badges_for(self).projector] if badges else [])
