"""Passed assessments issue or upgrade certificates through the registrar's usual path.

The training service publishes every assessment result (``assessment.recorded.v1``); the
follower keeps them (``read_models/training_status.py``, table ``training_assessments``). The
registrar lists the passes, pending or not, and issues the certificate from one: type (mapped in
``domain/assessment_certificate.py``), level and holder come from the assessment, number and
issuing body from the registrar, and ``Certificates.issue_certificate`` records it with the same
checks as any other. An upgrade is a new certificate at the higher level, as policy v2 has it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from contracts.assessment_certificates import CertificateFromAssessment as IssueRequest, PassedAssessment
from contracts.credentials import CertificateView, NewCertificate
from services.credential.application.certificates import Certificates, facts_of
from services.credential.domain.assessment_certificate import (
    CERTIFICATE_TYPE_OF_ASSESSMENT, CertificateFromAssessment, issuance_id_for,
)
from services.credential.domain.certificate import certificate_id_for
from shared.application import ServiceApplication
from shared.errors import Conflict, Invalid, NotFound

REGISTRAR_ROLE = "registrar"


class AssessmentCertificates:
    """The registrar's list of passed assessments and the certificate issued from one."""

    def __init__(self, records: ServiceApplication, certificates: Certificates):
        self.records = records
        self.certificates = certificates

    def passed(self, *, pending: bool | None = None, provider_id: UUID | None = None) -> list[PassedAssessment]:
        """Passed assessments in the order assessed; ``pending``: only those still waiting (or only those not)."""
        self.records.projector.catch_up("certification", "assessment_certificates")
        where, params = "a.passed = ?", [True]
        if provider_id is not None:
            where, params = f"{where} AND a.provider_id = ?", [*params, str(provider_id)]
        rows = self.records.store.query(
            "SELECT a.*, f.certificate_id FROM training_assessments a LEFT JOIN certificates_from_assessments f"
            f" ON f.assessment_id = a.assessment_id WHERE {where} ORDER BY a.assessed_on, a.assessment_id", params)
        held = self.certificates.certificates_of(r["staff_id"] for r in rows)
        views = [self._view(r, held[r["staff_id"]]) for r in rows]
        return views if pending is None else [v for v in views if v.pending == pending]

    def _view(self, row: Any, held: list[Any]) -> PassedAssessment:
        cert_type = CERTIFICATE_TYPE_OF_ASSESSMENT.get(row["certificate_type"])
        levels = [level for c in held if c["cert_type"] == cert_type and c["status"] != "revoked"
                  and (level := facts_of(c).level) is not None]
        held_level = min(levels) if levels else None
        already = held_level is not None and held_level <= int(row["level"])
        return PassedAssessment(
            assessment_id=row["assessment_id"], staff_id=row["staff_id"], provider_id=row["provider_id"],
            assessment_type=row["certificate_type"], cert_type=cert_type, level=int(row["level"]),
            assessed_on=row["assessed_on"], held_level=held_level, already_held=already,
            certificate_id=row["certificate_id"],
            pending=row["certificate_id"] is None and not already and cert_type is not None,
        )

    def issue(self, assessment_id: UUID, data: IssueRequest, actor: dict[str, Any]) -> CertificateView:
        """Issue the certificate a pass earns (409 ``assessment_not_passed``, ``already_issued_from_assessment``,
        ``not_issuable``, or the usual ``duplicate_certificate``; 422 ``issued_before_assessment``; 404 for an assessment not published)."""
        row = self.records.store.query_one("SELECT * FROM training_assessments WHERE assessment_id = ?",
                                           (str(assessment_id),))
        if row is None:
            raise NotFound(f"no assessment {assessment_id} published by the training service")
        if not row["passed"]:
            raise Conflict("the assessment was not passed", code="assessment_not_passed")
        self._refuse_if_issued(row["assessment_id"])
        cert_type = CERTIFICATE_TYPE_OF_ASSESSMENT.get(row["certificate_type"])
        policy = self.certificates.policies.current_policy()
        known = policy.certificate_type(cert_type) if cert_type else None
        if known is None or known.levels is None or int(row["level"]) not in known.levels:
            raise Conflict(f"policy version {policy.version} issues no {row['certificate_type']} certificate at level"
                           f" {row['level']}", code="not_issuable")
        assessed_on = dt.date.fromisoformat(row["assessed_on"])
        if data.issued_on is not None and data.issued_on < assessed_on:
            raise Invalid(f"issued_on is before the assessment ({assessed_on})", field="issued_on",
                          code="issued_before_assessment")
        note = f"鉴定合格: assessment {row['assessment_id']} ({row['provider_id']}, {row['assessed_on']})"
        request = NewCertificate(
            cert_type=cert_type, number=data.number, issuing_body=data.issuing_body,  # type: ignore[arg-type]
            issued_on=data.issued_on or assessed_on, holder_id=row["staff_id"], level=int(row["level"]),
            note=f"{note}; {data.note}" if data.note else note,
        )
        link = CertificateFromAssessment(
            assessment_id=row["assessment_id"], certificate_id=str(certificate_id_for(cert_type, data.number.strip())),
            holder_id=row["staff_id"], cert_type=cert_type, level=int(row["level"]), provider_id=row["provider_id"],
            assessed_on=row["assessed_on"], actor=actor,
        )
        try:
            return self.certificates.issue_certificate(request, role=REGISTRAR_ROLE, visible_to=None, actor=actor,
                                                       recorded_with=(link,))
        except Conflict:
            self._refuse_if_issued(row["assessment_id"])  # a concurrent issue from the same assessment won
            raise

    def _refuse_if_issued(self, assessment_id: str) -> None:
        try:
            link = self.records.repository.get(issuance_id_for(assessment_id))
        except AggregateNotFoundError:
            return
        raise Conflict("a certificate was already issued from this assessment", code="already_issued_from_assessment",
                       certificate_id=link.certificate_id)
