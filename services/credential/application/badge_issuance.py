"""Badges for compliant people only (持证上岗)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from contracts.badges import BadgeCertificate, BadgeHolder, IssuedBadge
from services.credential.read_models.certification import NEVER
from services.credential.application.badges import Badges
from services.credential.application.queries import Reports
from services.credential.application.registry import Registry
from services.credential.application.common import today
from shared.application import ServiceApplication
from shared.errors import Conflict, Invalid


class BadgeIssuance:
    """Issuing a badge only to a person compliant today (持证上岗)."""

    def __init__(self, records: ServiceApplication, registry: Registry, reports: Reports, badges: Badges):
        self.records = records
        self.registry = registry
        self.reports = reports
        self.badges = badges

    def issue_badge(
        self, staff_id: UUID, *, nursery_id: UUID | None, id_number: str | None, actor: dict[str, Any],
        visible_to: UUID | None = None,
    ) -> IssuedBadge:
        """Sign a badge for the person's active roles at a nursery; refused (409) unless compliant today."""
        on = today()
        profile = self.reports.profile(staff_id, on=on, visible_to=visible_to, with_integrity=False)
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
            BadgeCertificate(type=c.cert_type, number=c.number, expires_on=dt.date.fromisoformat(c.expires_on or NEVER))
            for c in profile.certificates if c.cert_type in needed and c.standing == "valid"
        ]
        nursery = self.registry.nursery(nursery_id)
        holder = BadgeHolder(
            staff_id=profile.staff_id, name=profile.name, nursery_id=str(nursery_id),
            nursery_name=nursery.name, roles=sorted({a.role for a in here}), certificates=shown,
        )
        id_hash = self.records.store.query_one("SELECT id_hash FROM staff WHERE staff_id = ?", (profile.staff_id,))["id_hash"]
        return self.badges.issuer.issue(holder, actor=actor, id_number=id_number, id_hash=id_hash)
