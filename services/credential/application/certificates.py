"""Certificate use cases: issue, renew, suspend, reinstate, revoke, and read as on a date."""

from __future__ import annotations

import datetime as dt
from typing import Any, Iterable
from uuid import UUID

import msgspec
from eventsourcing.persistence import IntegrityError

from contracts.credentials import CertificateView, LevelRecord, NewCertificate, Renewal, Reinstatement, Revocation, Suspension
from services.credential.domain.certificate import Certificate, certificate_id_for
from services.credential.domain.compliance import CertificateFacts, add_months, expiry_on, standing_on
from services.credential.domain.policy import CertificateType
from services.credential.application.common import staff_row, today, uuid_field
from services.credential.application.badges import Badges
from services.credential.application.policy import Policies
from shared.application import ServiceApplication
from shared.errors import Conflict, Forbidden, Invalid, NotFound
from shared.persistence import query_in

_facts = msgspec.json.Decoder(CertificateFacts)
_COLUMNS = "certificate_id, cert_type, number, issuing_body, holder_id, status, facts"


class Certificates:
    """Certificates (资格证书) and their lifecycle."""

    def __init__(self, records: ServiceApplication, policies: Policies, badges: Badges):
        self.records = records
        self.policies = policies
        self.badges = badges

    def issue_certificate(
        self, data: NewCertificate, *, role: str, visible_to: UUID | None, actor: dict[str, Any]
    ) -> CertificateView:
        """Record an issued certificate; 409 with the existing id for a duplicate number."""
        self.records.projector.catch_up("registry", "certification")
        policy = self.policies.current_policy(caught_up=True)
        cert_type = policy.certificate_type(data.cert_type)
        if cert_type is None:
            raise Invalid(
                f"unknown certificate type {data.cert_type!r} in policy version {policy.version}",
                field="cert_type", code="unknown_certificate_type",
            )
        if role not in cert_type.recordable_by:
            raise Forbidden(
                f"{data.cert_type} certificates are recorded by: {', '.join(cert_type.recordable_by)}",
                code="not_recordable_by_role",
            )
        expires_on = terms_of(cert_type, data)
        holder = staff_row(self.records.store, uuid_field(data.holder_id, "holder_id"), visible_to=visible_to, field="holder_id")
        number = data.number.strip()
        if data.level is None and expires_on is not None and data.result == "passed":  # as v1 recorded it
            certificate = Certificate.issue(
                cert_type=data.cert_type, number=number, issuing_body=data.issuing_body.strip(),
                issued_on=data.issued_on, expires_on=expires_on, holder_id=holder["staff_id"],
                note=data.note, actor=actor,
            )
        else:
            certificate = Certificate.issue_v2(
                cert_type=data.cert_type, number=number, issuing_body=data.issuing_body.strip(),
                issued_on=data.issued_on, expires_on=expires_on, level=data.level, result=data.result,
                holder_id=holder["staff_id"], note=data.note, actor=actor,
            )
        try:
            self.records.save_and_project(certificate)
        except IntegrityError:
            raise Conflict(
                f"a {data.cert_type} certificate numbered {number} is already recorded",
                code="duplicate_certificate", certificate_id=str(certificate_id_for(data.cert_type, number)),
            ) from None
        return self.certificate(certificate.id)

    def renew_certificate(self, certificate_id: UUID, data: Renewal, actor: dict[str, Any]) -> CertificateView:
        certificate = self._load_certificate(certificate_id)
        certificate.renew(expires_on=data.expires_on, effective_on=data.effective_on or today(), note=data.note, actor=actor)
        self.records.save_and_project(certificate)
        return self.certificate(certificate_id)

    def record_level(self, certificate_id: UUID, data: LevelRecord, actor: dict[str, Any]) -> CertificateView:
        """Record the level of a certificate recorded without one (422 when its type has no such level)."""
        certificate = self._load_certificate(certificate_id)
        cert_type = self.policies.current_policy().certificate_type(certificate.cert_type)
        if cert_type is None or cert_type.levels is None or data.level not in cert_type.levels:
            raise Invalid(f"{certificate.cert_type} certificates are not issued at level {data.level}", field="level",
                          code="no_such_level")
        certificate.record_level(level=data.level, note=data.note, actor=actor)
        self.records.save_and_project(certificate)
        return self.certificate(certificate_id)

    def suspend_certificate(self, certificate_id: UUID, data: Suspension, actor: dict[str, Any]) -> CertificateView:
        certificate = self._load_certificate(certificate_id)
        certificate.suspend(reason=data.reason, effective_on=data.effective_on or today(), until=data.until, actor=actor)
        self.badges.save_with_badges(certificate, certificates=[certificate], reason=data.reason, actor=actor)
        return self.certificate(certificate_id)

    def reinstate_certificate(self, certificate_id: UUID, data: Reinstatement, actor: dict[str, Any]) -> CertificateView:
        certificate = self._load_certificate(certificate_id)
        certificate.reinstate(note=data.note, effective_on=data.effective_on or today(), actor=actor)
        self.badges.save_with_badges(certificate, certificates=[certificate], reason=data.note or 'reinstated', actor=actor)
        return self.certificate(certificate_id)

    def revoke_certificate(self, certificate_id: UUID, data: Revocation, actor: dict[str, Any]) -> CertificateView:
        certificate = self._load_certificate(certificate_id)
        certificate.revoke(reason=data.reason, category=data.category, effective_on=data.effective_on or today(), actor=actor)
        self.badges.save_with_badges(certificate, certificates=[certificate], reason=data.reason, actor=actor)
        return self.certificate(certificate_id)

    def _load_certificate(self, certificate_id: UUID) -> Certificate:
        certificate = self.records.get_or_404(UUID(str(certificate_id)), "certificate")
        if not isinstance(certificate, Certificate):
            raise NotFound(f"no certificate with id {certificate_id}")
        return certificate

    # Reading -------------------------------------------------------------------------------------

    def certificate(self, certificate_id: UUID, *, on: dt.date | None = None, visible_to: UUID | None = None) -> CertificateView:
        """One certificate with its standing on ``on`` (404 for an HR caller not seeing its holder)."""
        self.records.projector.catch_up("registry", "certification")
        row = self.records.store.query_one(f"SELECT {_COLUMNS} FROM certificates WHERE certificate_id = ?", (str(certificate_id),))
        if row is None:
            raise NotFound(f"no certificate with id {certificate_id}")
        if visible_to is not None:
            try:
                staff_row(self.records.store, row["holder_id"], visible_to=visible_to)
            except NotFound:
                raise NotFound(f"no certificate with id {certificate_id}") from None
        return certificate_view(row, on or today())

    def certificates_of(self, staff_ids: Iterable[str], *, cur: Any = None) -> dict[str, list[Any]]:
        """The certificate rows of these people, by holder (one indexed query; in ``cur``'s transaction if given)."""
        ids = sorted(set(staff_ids))
        held: dict[str, list[Any]] = {i: [] for i in ids}
        if not ids:
            return held
        statement = f"SELECT {_COLUMNS} FROM certificates WHERE holder_id IN ({{marks}})"
        for row in query_in(cur.fetchall if cur is not None else self.records.store.query, statement, ids):
            held[row["holder_id"]].append(row)
        return held


def terms_of(cert_type: CertificateType, data: NewCertificate) -> dt.date | None:
    """The expiry to record (None: never), after checking the level and result against the type (422 naming the field)."""
    if cert_type.levels is None and data.level is not None:
        raise Invalid(f"{cert_type.code} certificates have no level", field="level", code="no_levels")
    if cert_type.levels is not None and data.level not in cert_type.levels:
        levels = ", ".join(str(lv) for lv in sorted(cert_type.levels, reverse=True))
        raise Invalid(f"{cert_type.code} certificates are issued at level {levels}", field="level", code="level_required")
    if cert_type.kind == "certificate" and data.result != "passed":
        raise Invalid("only a check (health, background) records a failed result", field="result")
    if not cert_type.expires:
        if data.expires_on is not None:
            raise Invalid(f"{cert_type.code} certificates never expire: leave expires_on out", field="expires_on",
                          code="never_expires")
        return None
    if data.expires_on is not None:
        return data.expires_on
    if cert_type.recheck_months is None:
        raise Invalid("expires_on is required for this type", field="expires_on", code="expiry_required")
    return add_months(data.issued_on, cert_type.recheck_months) - dt.timedelta(days=1)


def facts_of(row: Any) -> CertificateFacts:
    return _facts.decode(row["facts"])


def certificate_view(row: Any, on: dt.date) -> CertificateView:
    facts = facts_of(row)
    return CertificateView(
        certificate_id=row["certificate_id"], cert_type=row["cert_type"], number=row["number"],
        issuing_body=row["issuing_body"], holder_id=row["holder_id"], issued_on=facts.issued_on,
        expires_on=expiry_on(facts, on), status=row["status"], standing=standing_on(facts, on),  # type: ignore[arg-type]
        on=on.isoformat(), level=facts.level, result=facts.result,  # type: ignore[arg-type]
    )
