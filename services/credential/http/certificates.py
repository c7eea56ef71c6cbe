"""Certificates: the registrar issues and changes them; HR records the types the policy lets it."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, Parameter

from contracts.credentials import (
    CertificateView, ExpiringCertificate, LevelRecord, NewCertificate, Reinstatement, Renewal, Revocation, Suspension,
)
from contracts.keys import Role
from services.credential.application.certificates import Certificates
from services.credential.application.queries import Reports
from services.credential.http.dates import OnDate, on_or_today
from shared.auth.roles import Principal
from shared.http.auth import allow
from shared.http.scope import nursery_scope

READERS = (Role.REGISTRAR, Role.HR, Role.INSPECTOR, Role.AUDITOR)


class CertificateController(Controller):
    """Certificates (资格证书): issue, renew, suspend, reinstate, revoke; read as on a date."""

    path = "/v1/certificates"
    tags = ["certificates"]

    @post("/", guards=[allow(Role.REGISTRAR, Role.HR)], sync_to_thread=True)
    def issue(
        self, certificates: NamedDependency[Certificates],
        data: JSONBody[NewCertificate], request: Request[Principal, Any, Any],
    ) -> CertificateView:
        """Record an issued certificate (409 ``duplicate_certificate`` with the existing id)."""
        principal = request.user
        return certificates.issue_certificate(
            data, role=str(principal.role), visible_to=nursery_scope(principal), actor=principal.actor()
        )

    @get("/expiring", guards=[allow(*READERS)], sync_to_thread=True)
    def expiring(
        self, reports: NamedDependency[Reports],
        request: Request[Principal, Any, Any],
        on: OnDate = None,
        within: Annotated[int, Parameter(ge=1, le=366, description="Days ahead: 30, 60, 90...")] = 30,
    ) -> list[ExpiringCertificate]:
        """Certificates valid on the date that expire within the window (an hr key: its own staff's)."""
        return reports.expiring(on=on_or_today(on), within=within, visible_to=nursery_scope(request.user))

    @get("/{certificate_id:uuid}", guards=[allow(*READERS)], sync_to_thread=True)
    def get_certificate(
        self, certificates: NamedDependency[Certificates],
        certificate_id: FromPath[UUID], request: Request[Principal, Any, Any], on: OnDate = None
    ) -> CertificateView:
        """One certificate with its standing as on the date."""
        return certificates.certificate(certificate_id, on=on_or_today(on), visible_to=nursery_scope(request.user))

    @post("/{certificate_id:uuid}/renew", guards=[allow(Role.REGISTRAR)], sync_to_thread=True, status_code=200)
    def renew(
        self, certificates: NamedDependency[Certificates],
        certificate_id: FromPath[UUID], data: JSONBody[Renewal], request: Request[Principal, Any, Any],
    ) -> CertificateView:
        """Extend to a later expiry (409 ``certificate_revoked`` for a revoked one)."""
        return certificates.renew_certificate(certificate_id, data, request.user.actor())

    @post("/{certificate_id:uuid}/level", guards=[allow(Role.REGISTRAR)], sync_to_thread=True, status_code=200)
    def record_level(
        self, certificates: NamedDependency[Certificates],
        certificate_id: FromPath[UUID], data: JSONBody[LevelRecord], request: Request[Principal, Any, Any],
    ) -> CertificateView:
        """Record the level printed on a certificate recorded without one, as under policy v1
        (409 ``level_already_recorded``: an upgrade is a new certificate; ``certificate_revoked``)."""
        return certificates.record_level(certificate_id, data, request.user.actor())

    @post("/{certificate_id:uuid}/suspend", guards=[allow(Role.REGISTRAR)], sync_to_thread=True, status_code=200)
    def suspend(
        self, certificates: NamedDependency[Certificates],
        certificate_id: FromPath[UUID], data: JSONBody[Suspension], request: Request[Principal, Any, Any],
    ) -> CertificateView:
        """Suspend (409 ``already_suspended`` / ``certificate_revoked``)."""
        return certificates.suspend_certificate(certificate_id, data, request.user.actor())

    @post("/{certificate_id:uuid}/reinstate", guards=[allow(Role.REGISTRAR)], sync_to_thread=True, status_code=200)
    def reinstate(
        self, certificates: NamedDependency[Certificates],
        certificate_id: FromPath[UUID], data: JSONBody[Reinstatement], request: Request[Principal, Any, Any],
    ) -> CertificateView:
        """Lift a suspension (409 ``not_suspended`` / ``certificate_revoked``)."""
        return certificates.reinstate_certificate(certificate_id, data, request.user.actor())

    @post("/{certificate_id:uuid}/revoke", guards=[allow(Role.REGISTRAR)], sync_to_thread=True, status_code=200)
    def revoke(
        self, certificates: NamedDependency[Certificates],
        certificate_id: FromPath[UUID], data: JSONBody[Revocation], request: Request[Principal, Any, Any],
    ) -> CertificateView:
        """Revoke for good (409 ``already_revoked``)."""
        return certificates.revoke_certificate(certificate_id, data, request.user.actor())
