"""Integrity record use cases (诚信记录): recording an ethics violation and its action."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from contracts.credentials import NewViolation, ViolationView
from services.credential.domain.certificate import Certificate
from services.credential.domain.integrity import Violation
from services.credential.application.common import staff_row, today, uuid_field
from services.credential.application.badges import Badges
from shared.application import ServiceApplication
from shared.errors import Invalid


class Integrity:
    """Ethics violations against a person, acting on their certificates in the same transaction."""

    def __init__(self, records: ServiceApplication, badges: Badges):
        self.records = records
        self.badges = badges

    def record_violation(self, data: NewViolation, actor: dict[str, Any]) -> ViolationView:
        """Record a violation; a suspension or revocation acts on the named certificates at once."""
        self.records.projector.catch_up("registry", "certification")
        staff_id = str(staff_row(self.records.store, uuid_field(data.staff_id, "staff_id"), visible_to=None, field="staff_id")["staff_id"])
        if data.action == "warning" and data.certificate_ids:
            raise Invalid("a warning names no certificates", field="certificate_ids")
        if data.action != "warning" and not data.certificate_ids:
            raise Invalid(f"a {data.action} names the certificates it acts on", field="certificate_ids")
        if data.occurred_on > today():
            raise Invalid(f"occurred_on {data.occurred_on} is after today", field="occurred_on",
                          code="occurred_in_future")
        if data.until is not None and data.action != "suspension":
            raise Invalid("until applies to a suspension only", field="until")
        if len(set(data.certificate_ids)) != len(data.certificate_ids):
            raise Invalid("a certificate is named twice", field="certificate_ids")
        effective_on = data.effective_on or today()
        certificates: list[Certificate] = []
        for i, raw in enumerate(data.certificate_ids):
            field = f"certificate_ids[{i}]"
            cid = uuid_field(raw, field)
            certificate = self.records.repository.get(cid) if self._exists(str(cid)) else None
            if not isinstance(certificate, Certificate) or certificate.holder_id != staff_id:
                raise Invalid(f"{raw} is not a certificate of this person", field=field, code="not_holders_certificate")
            reason = f"ethics violation: {data.what}"
            if data.action == "suspension":
                certificate.suspend(reason=reason, effective_on=effective_on, until=data.until, actor=actor)
            else:
                certificate.revoke(reason=reason, category="ethics_violation", effective_on=effective_on, actor=actor)
            certificates.append(certificate)
        violation = Violation(
            staff_id=staff_id, what=data.what, occurred_on=data.occurred_on.isoformat(), action=data.action,
            certificate_ids=[str(c.id) for c in certificates], actor=actor,
        )
        # One transaction: the violation, the certificates and the badges that show them, or nothing.
        self.badges.save_with_badges(violation, *certificates, certificates=certificates, reason=f"ethics violation: {data.what}",
                              actor=actor)
        return self.violations_of(staff_id, only=str(violation.id))[0]

    def _exists(self, certificate_id: str) -> bool:
        row = self.records.store.query_one("SELECT 1 FROM certificates WHERE certificate_id = ?", (certificate_id,))
        return row is not None

    def violations_of(self, staff_id: UUID | str, *, only: str | None = None) -> list[ViolationView]:
        """A person's integrity record, oldest first."""
        self.records.projector.catch_up("certification")
        statement = "SELECT * FROM violations WHERE staff_id = ?"
        params = [str(staff_id)]
        if only:
            statement += " AND violation_id = ?"
            params.append(only)
        rows = self.records.store.query(statement + " ORDER BY occurred_on, recorded_at", params)
        return [
            ViolationView(
                violation_id=r["violation_id"], staff_id=r["staff_id"], what=r["what"], occurred_on=r["occurred_on"],
                action=r["action"], certificate_ids=json.loads(r["certificate_ids"]), recorded_at=r["recorded_at"],
            )
            for r in rows
        ]
