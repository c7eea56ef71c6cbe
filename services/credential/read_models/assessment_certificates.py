"""Read model of certificates issued from assessments: assessment id -> certificate id."""

from __future__ import annotations

from typing import Any

from services.credential.domain.assessment_certificate import CertificateFromAssessment
from shared.persistence import Cursor
from shared.projection import Projection, handles


class AssessmentCertificatesProjection(Projection):
    """Each assessment the registrar issued a certificate from, and that certificate."""

    name = "assessment_certificates"

    ddl = [
        "CREATE TABLE IF NOT EXISTS certificates_from_assessments ("
        " assessment_id TEXT PRIMARY KEY, certificate_id TEXT NOT NULL, holder_id TEXT NOT NULL,"
        " position BIGINT NOT NULL, issued_at TEXT NOT NULL)",
    ]
    tables = ["certificates_from_assessments"]

    @handles(CertificateFromAssessment.Issued)
    def issued(self, cur: Cursor, e: Any, position: int) -> None:
        cur.execute(
            "INSERT INTO certificates_from_assessments (assessment_id, certificate_id, holder_id, position, issued_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (assessment_id) DO NOTHING",
            (e.assessment_id, e.certificate_id, e.holder_id, position, e.timestamp.isoformat()),
        )
