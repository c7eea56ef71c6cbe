"""Portable credentials of one credential application: export, status lists, the issuer's DID document.

``Credentials`` builds it once; the wire format (documents, signing, bitstrings) is ``services/credential/portable/``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from contracts.credentials import TrainingStatus
from contracts.dates import FIRST_DAY, LAST_DAY
from contracts.portable import CID_CONTEXT, DID_CONTEXT, DidDocument, StatusPurpose, VerificationMethod
from services.credential.portable import bitstring, documents
from services.credential.application.certificates import Certificates
from services.credential.application.policy import Policies
from services.credential.application.portable_keys import IssuerKeys
from services.credential.application.registry import Registry
from services.credential.portable.securing import did_web, secure
from services.credential.read_models.training_status import training_of
from shared.application import ServiceApplication
from shared.errors import Invalid, NotFound

STATUS_LIST_TTL = dt.timedelta(hours=1)
"""How long a published status list is valid: verifiers fetch a fresher one after that."""


class PortableCredentials:
    """Certificates and training years as signed Verifiable Credentials, with their status lists."""

    def __init__(self, app: ServiceApplication, registry: Registry, certificates: Certificates, policies: Policies):
        self.app = app
        self.registry = registry
        self.certificates = certificates
        self.policies = policies
        self.keys = IssuerKeys(app)
        base_url = (app.settings.public_url or app.settings.url_of("credential")).rstrip("/")
        self.issuer = documents.Issuer(did=did_web(base_url), base_url=base_url)

    # Export ----------------------------------------------------------------------------------

    def certificate(self, staff_id: UUID, certificate_id: UUID, *, visible_to: UUID | None,
                    actor: dict[str, Any]) -> str:
        """The person's certificate as a signed credential (404 unless it is theirs and the caller sees them)."""
        person = self.registry.staff(staff_id, visible_to=visible_to)
        view = self.certificates.certificate(certificate_id, visible_to=visible_to)
        if view.holder_id != person.staff_id:
            raise NotFound(f"no certificate with id {certificate_id} of staff member {staff_id}")
        kind = self.policies.current_policy().certificate_type(view.cert_type)
        self.app.projector.catch_up("portable")
        row = self.app.store.query_one("SELECT status_index FROM portable_status WHERE certificate_id = ?",
                                       (view.certificate_id,))
        document = documents.certificate_credential(
            self.issuer, view, holder_name=person.name, type_name=f"{kind.name_zh} ({kind.name_en})" if kind else view.cert_type,
            status_index=int(row["status_index"]),
        )
        return self._sign(document, actor)

    def training(self, staff_id: UUID, year: int, *, visible_to: UUID | None, actor: dict[str, Any],
                 now: dt.datetime | None = None) -> str:
        """The person's training year as the credential service knows it from the training feed."""
        if not FIRST_DAY.year <= year <= LAST_DAY.year:
            raise Invalid(f"year must be between {FIRST_DAY.year} and {LAST_DAY.year}", field="year")
        person = self.registry.staff(staff_id, visible_to=visible_to)
        status: TrainingStatus | None = training_of(self.app.store, [person.staff_id], year)[person.staff_id]
        if status is None:  # the training service has published no totals yet: nothing to state
            raise NotFound("no training data has reached this service yet", code="no_training_data")
        document = documents.training_credential(self.issuer, status, staff_id=person.staff_id,
                                                 holder_name=person.name, now=now or dt.datetime.now(dt.UTC))
        return self._sign(document, actor)

    def _sign(self, document: Any, actor: dict[str, Any]) -> str:
        self.keys.ensure(actor)
        kid, private_key = self.keys.signing()
        return secure(document, private_key=private_key, verification_method=f"{self.issuer.did}#{kid}")

    # Public ----------------------------------------------------------------------------------

    def status_list(self, purpose: StatusPurpose, *, now: dt.datetime | None = None) -> str:
        """The signed status list of one purpose, as the certificate events left it."""
        kid, private_key = self.keys.signing()
        at = now or dt.datetime.now(dt.UTC)
        document = documents.status_list_credential(
            self.issuer, purpose, bitstring.encode(*self._bits(purpose, at)), now=at, ttl=STATUS_LIST_TTL,
        )
        return secure(document, private_key=private_key, verification_method=f"{self.issuer.did}#{kid}")

    def _bits(self, purpose: StatusPurpose, at: dt.datetime) -> tuple[list[int], int]:
        """The set indexes and the list's length: revoked certificates, or those suspended today."""
        self.app.projector.catch_up("portable")
        top = self.app.store.query_one("SELECT MAX(status_index) AS top FROM portable_status")
        length = bitstring.list_length(None if top is None or top["top"] is None else int(top["top"]))
        if purpose is StatusPurpose.REVOCATION:
            rows = self.app.store.query("SELECT status_index FROM portable_status WHERE status = 'revoked'")
        else:
            rows = self.app.store.query(
                "SELECT status_index FROM portable_status WHERE status = 'suspended'"
                " AND (suspended_until IS NULL OR suspended_until >= ?)", (documents.district_day(at),))
        return [int(r["status_index"]) for r in rows], length

    def did_document(self) -> DidDocument:
        """Every issuer key as a ``JsonWebKey`` verification method of the issuer's ``did:web``."""
        did = self.issuer.did
        methods = [
            VerificationMethod(id=f"{did}#{key['kid']}", type="JsonWebKey", controller=did, publicKeyJwk=key["jwk"])
            for key in self.keys.published()
        ]
        return DidDocument(context=[DID_CONTEXT, CID_CONTEXT], id=did, verificationMethod=methods,
                           assertionMethod=[m.id for m in methods])

