"""HTTP: verifying badges, managing their status, and the public lists offline verifiers cache."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, Parameter

from contracts.badges import BadgeStatusChange, BadgeView, IssueBadge, IssuedBadge, VerifyRequest, VerifyResult
from contracts.keys import Role
from contracts.credentials import CERTIFICATE_NUMBER_PATTERN
from services.credential.application.badge_issuance import BadgeIssuance
from services.credential.application.badges import Badges
from services.credential.application.common import uuid_field
from shared.auth.roles import Principal
from shared.errors import Invalid
from shared.http.auth import PUBLIC, allow
from shared.http.params import query_text
from shared.http.scope import acting_nursery, nursery_scope, require_own_nursery

COSE_MEDIA_TYPE = "application/cose"
CertificateNumberQuery = query_text("Badges showing this certificate number", max_length=50, pattern=CERTIFICATE_NUMBER_PATTERN)
WELL_KNOWN = "/.well-known/carecred"


class VerifyController(Controller):
    """On-site checks (人证合一): is this badge genuine, current, not revoked or suspended, and whose?"""

    path = "/v1/verify"
    tags = ["badges"]

    @post("/", guards=[allow(Role.INSPECTOR, Role.REGISTRAR, Role.HR, Role.AUDITOR)], sync_to_thread=True, status_code=200)
    def verify(
        self, badges: NamedDependency[Badges],
        data: JSONBody[VerifyRequest], request: Request[Principal, Any, Any],
    ) -> VerifyResult:
        """Verify a scanned badge text online; with ``id_number``, say whether it is the holder's (never echoed)."""
        return badges.verify(data.qr, id_number=data.id_number, versions=request.auth)


class BadgeController(Controller):
    """Badges as recorded: look them up, suspend, reinstate or revoke them."""

    path = "/v1/badges"
    tags = ["badges"]

    @post("/", guards=[allow(Role.REGISTRAR, Role.HR)], sync_to_thread=True)
    def issue(
        self, badge_issuance: NamedDependency[BadgeIssuance],
        data: JSONBody[IssueBadge], request: Request[Principal, Any, Any],
    ) -> IssuedBadge:
        """Issue a badge to a person compliant today (409 with the reasons otherwise); reissue by asking again."""
        principal = request.user
        nursery_id = acting_nursery(principal, data.nursery_id)
        return badge_issuance.issue_badge(
            uuid_field(data.staff_id, "staff_id"), nursery_id=uuid_field(nursery_id, "nursery_id") if nursery_id else None,
            id_number=data.id_number, actor=principal.actor(), visible_to=nursery_scope(principal),
        )

    @get("/", guards=[allow(Role.REGISTRAR, Role.HR, Role.AUDITOR)], sync_to_thread=True)
    def find(
        self, badges: NamedDependency[Badges],
        request: Request[Principal, Any, Any],
        certificate_number: CertificateNumberQuery = None,
        staff_id: Annotated[UUID | None, Parameter(description="Badges of this person")] = None,
    ) -> list[BadgeView]:
        """Badges that show a certificate, or that belong to a person (an hr key sees its own nursery's)."""
        statuses = badges.statuses
        if certificate_number:
            found = statuses.badges_with_certificate(certificate_number)
        elif staff_id:
            found = statuses.badges_of(str(staff_id))
        else:
            raise Invalid("give certificate_number or staff_id", field="certificate_number")
        own = nursery_scope(request.user)
        return [b for b in found if own is None or b.nursery_id == str(own)]

    @get("/{badge_id:uuid}", guards=[allow(Role.REGISTRAR, Role.HR, Role.AUDITOR)], sync_to_thread=True)
    def get_badge(
        self, badges: NamedDependency[Badges],
        badge_id: FromPath[UUID], request: Request[Principal, Any, Any],
    ) -> BadgeView:
        """One badge and its status."""
        view = badges.statuses.badge(badge_id)
        if request.user.role is Role.HR:
            require_own_nursery(request.user, view.nursery_id)
        return view

    def _change(self, badges: Badges, request: Request[Principal, Any, Any], badge_id: UUID, status: str,
                reason: str) -> BadgeView:
        statuses = badges.statuses
        if request.user.role is Role.HR:
            require_own_nursery(request.user, statuses.badge(badge_id).nursery_id)
        return statuses.change_badge_status(badge_id, status, reason=reason, actor=request.user.actor())

    @post("/{badge_id:uuid}/revoke", guards=[allow(Role.REGISTRAR, Role.HR)], sync_to_thread=True, status_code=200)
    def revoke(
        self, badges: NamedDependency[Badges],
        badge_id: FromPath[UUID], data: JSONBody[BadgeStatusChange], request: Request[Principal, Any, Any],
    ) -> BadgeView:
        """Revoke a badge for good (a new one can be issued)."""
        return self._change(badges, request, badge_id, "revoked", data.reason)

    @post("/{badge_id:uuid}/suspend", guards=[allow(Role.REGISTRAR, Role.HR)], sync_to_thread=True, status_code=200)
    def suspend(
        self, badges: NamedDependency[Badges],
        badge_id: FromPath[UUID], data: JSONBody[BadgeStatusChange], request: Request[Principal, Any, Any],
    ) -> BadgeView:
        """Suspend a badge until it is reinstated."""
        return self._change(badges, request, badge_id, "suspended", data.reason)

    @post("/{badge_id:uuid}/reinstate", guards=[allow(Role.REGISTRAR, Role.HR)], sync_to_thread=True, status_code=200)
    def reinstate(
        self, badges: NamedDependency[Badges],
        badge_id: FromPath[UUID], data: JSONBody[BadgeStatusChange], request: Request[Principal, Any, Any],
    ) -> BadgeView:
        """Lift a badge's suspension."""
        return self._change(badges, request, badge_id, "active", data.reason)


class WellKnownController(Controller):
    """The signed lists offline verifiers download: trust list, status list, and the trust anchor."""

    path = WELL_KNOWN
    tags = ["badges"]
    opt = {PUBLIC: True}
    security = [{}]

    @get("/trust-list", sync_to_thread=True, media_type=COSE_MEDIA_TYPE)
    def trust_list(self, badges: NamedDependency[Badges], request: Request[Any, Any, Any]) -> Response[bytes]:
        """The keys that sign badges (COSE_Sign1 over CBOR, signed by the trust anchor, with an expiry)."""
        return Response(badges.keys.signed_trust_list(), media_type=COSE_MEDIA_TYPE,
                        headers={"Cache-Control": "public, max-age=3600"})

    @get("/status-list", sync_to_thread=True, media_type=COSE_MEDIA_TYPE)
    def status_list(self, badges: NamedDependency[Badges], request: Request[Any, Any, Any]) -> Response[bytes]:
        """Revoked and suspended bits per status-list index (COSE_Sign1, signed by a trusted badge key, with a time-to-live)."""
        return Response(badges.statuses.signed_status_list(), media_type=COSE_MEDIA_TYPE,
                        headers={"Cache-Control": "public, max-age=300"})

    @get("/trust-anchor", sync_to_thread=True, media_type="application/x-pem-file")
    def trust_anchor(self, badges: NamedDependency[Badges], request: Request[Any, Any, Any]) -> Response[str]:
        """The trust anchor's public key (PEM); compare its key id with the one published out of band."""
        anchor = badges.keys.anchor()
        assert anchor is not None
        return Response(anchor.public_key_pem, media_type="application/x-pem-file",
                        headers={"X-Key-Id": anchor.kid})


BADGE_CONTROLLERS = [VerifyController, BadgeController, WellKnownController]
