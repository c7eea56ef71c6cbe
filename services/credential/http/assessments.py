"""Passed assessments (职业技能鉴定合格) from the training feed, and the certificate the registrar issues from one."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, Parameter

from contracts.assessment_certificates import CertificateFromAssessment, PassedAssessment
from contracts.credentials import CertificateView
from contracts.keys import Role
from services.credential.application.assessment_certificates import AssessmentCertificates
from shared.auth.roles import Principal
from shared.http.auth import allow


class AssessmentController(Controller):
    """Assessment passes published by the training service: list them, issue or upgrade the certificate."""

    path = "/v1/assessments"
    tags = ["certificates"]

    @get("/passed", guards=[allow(Role.REGISTRAR, Role.AUDITOR)], sync_to_thread=True)
    def passed(
        self, assessment_certificates: NamedDependency[AssessmentCertificates],
        pending: Annotated[bool | None, Parameter(
            description="true: only passes with no certificate issued from them and none held at their level or"
                        " higher; false: only the others; left out: all")] = None,
        provider_id: Annotated[UUID | None, Parameter(description="Only this training provider's")] = None,
    ) -> list[PassedAssessment]:
        """Passed assessments in the order assessed, with the certificate issued from each and the level held."""
        return assessment_certificates.passed(pending=pending, provider_id=provider_id)

    @post("/{assessment_id:uuid}/certificate", guards=[allow(Role.REGISTRAR)], sync_to_thread=True)
    def issue(
        self, assessment_certificates: NamedDependency[AssessmentCertificates], assessment_id: FromPath[UUID],
        data: JSONBody[CertificateFromAssessment], request: Request[Principal, Any, Any],
    ) -> CertificateView:
        """Issue the certificate (or the upgrade: a new certificate at the higher level) a pass earns, through the
        usual path (404 for an assessment not published; 409 ``already_issued_from_assessment``,
        ``assessment_not_passed``, ``not_issuable``, ``duplicate_certificate``)."""
        return assessment_certificates.issue(assessment_id, data, request.user.actor())
