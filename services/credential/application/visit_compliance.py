"""Whether a person scanned on a visit held valid certificates on the visit's day, judged by the policy in force
on that day (``Policies.policy_on``): what a ``lapsed_certificate`` finding is proposed from."""

from __future__ import annotations

import datetime as dt

from services.credential.application.certificates import Certificates, facts_of
from services.credential.application.policy import Policies
from services.credential.domain.compliance import assignment_active, evaluate, standing_on
from shared.application import ServiceApplication


class VisitCompliance:
    """The certificate shortfalls of a person on a visit's day, for the roles they were assigned then."""

    def __init__(self, records: ServiceApplication, policies: Policies, certificates: Certificates):
        self.records = records
        self.policies = policies
        self.certificates = certificates

    def lapsed(self, staff_id: str, day: dt.date) -> list[str]:
        """One line per shortfall (``health recheck_due under policy v2 as assistant``). A person with no assignment
        active on ``day`` is judged certificate by certificate: any held that is not valid on ``day``."""
        held = self.certificates.certificates_of([staff_id])[staff_id]
        facts = [facts_of(c) for c in held]
        roles = sorted({r["role"] for r in self.records.store.query(
            "SELECT role, start_on, end_on FROM assignments WHERE staff_id = ?", (staff_id,))
            if assignment_active(r["start_on"], r["end_on"], day)})
        if not roles:
            return [f"certificate {f.cert_type} {f.number} {standing}" for f in facts
                    if (standing := standing_on(f, day)) != "valid"]
        policy = self.policies.policy_on(day, caught_up=True)
        lines: list[str] = []
        for code in roles:
            role = policy.role(code)
            if role is None:
                lines.append(f"role {code} is not in policy v{policy.version}")
                continue
            for group in evaluate(policy, role, facts, day).requirements:
                lines += [f"{s.cert_type} {s.problem}" + (f" ({s.number})" if s.number else "")
                          + f" under policy v{policy.version} as {code}" for s in group.shortfalls]
        return lines
