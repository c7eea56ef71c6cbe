"""HTTP: export a person's certificate or training year as a credential; the public status lists and DID document."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath, Parameter

from contracts.dates import FIRST_DAY, LAST_DAY
from contracts.keys import Role
from contracts.portable import VC_JWT_MEDIA_TYPE, DidDocument, StatusPurpose
from services.credential.application.portable import PortableCredentials
from shared.auth.roles import Principal
from shared.errors import NotFound
from shared.http.auth import PUBLIC, allow
from shared.http.params import path_text
from shared.http.scope import nursery_scope

Purpose = path_text("revocation or suspension", max_length=20)
Year = Annotated[int, Parameter(ge=FIRST_DAY.year, le=LAST_DAY.year, description="Calendar year (Asia/Shanghai)")]


def _vc_jwt(token: str, cache: str) -> Response[str]:
    return Response(token, media_type=VC_JWT_MEDIA_TYPE, headers={"Cache-Control": cache})


class PortableCredentialController(Controller):
    """A person's certificate or training year as a W3C Verifiable Credential (vc+jwt) they can take anywhere."""

    path = "/v1/staff/{staff_id:uuid}/credentials"
    tags = ["portable credentials"]

    @get("/certificates/{certificate_id:uuid}", guards=[allow(Role.REGISTRAR, Role.HR)], sync_to_thread=True,
         media_type=VC_JWT_MEDIA_TYPE, summary="Export a certificate as a verifiable credential")
    def certificate(self, portable: NamedDependency[PortableCredentials], staff_id: FromPath[UUID],
                    certificate_id: FromPath[UUID], request: Request[Principal, Any, Any]) -> Response[str]:
        """The certificate as an Open Badges 3.0 ``AchievementCredential`` (JWS payload: ``contracts.portable``),
        with its revocation and suspension entries in the published status lists (an hr key: its own staff)."""
        token = portable.certificate(staff_id, certificate_id, visible_to=nursery_scope(request.user),
                                               actor=request.user.actor())
        return _vc_jwt(token, "no-store")

    @get("/training/{year:int}", guards=[allow(Role.REGISTRAR, Role.HR)], sync_to_thread=True,
         media_type=VC_JWT_MEDIA_TYPE, summary="Export a year's training as a verifiable credential")
    def training(self, portable: NamedDependency[PortableCredentials], staff_id: FromPath[UUID], year: Year,
                 request: Request[Principal, Any, Any]) -> Response[str]:
        """The year's training hours (skills, ethics) against the requirement, as an ``AchievementCredential``."""
        token = portable.training(staff_id, year, visible_to=nursery_scope(request.user),
                                            actor=request.user.actor())
        return _vc_jwt(token, "no-store")


class StatusListController(Controller):
    """The signed Bitstring Status List credentials the exported certificates point at."""

    path = "/v1/credentials/status"
    tags = ["portable credentials"]
    opt = {PUBLIC: True}
    security = [{}]

    @get("/{purpose:str}", sync_to_thread=True, media_type=VC_JWT_MEDIA_TYPE, summary="A signed status list")
    def status_list(self, portable: NamedDependency[PortableCredentials],
                    purpose: Purpose,
                    request: Request[Any, Any, Any]) -> Response[str]:
        """A ``BitstringStatusListCredential`` (vc+jwt): bit 1 at a certificate's index when it is revoked
        (or suspended today); valid for an hour."""
        try:
            which = StatusPurpose(purpose)
        except ValueError:
            raise NotFound(f"no status list {purpose!r}; one of: revocation, suspension") from None
        return _vc_jwt(portable.status_list(which), "public, max-age=300")


class DidController(Controller):
    """The issuer's ``did:web`` document: the keys that sign portable credentials."""

    path = "/.well-known"
    tags = ["portable credentials"]
    opt = {PUBLIC: True}
    security = [{}]

    @get("/did.json", sync_to_thread=True, media_type="application/did+json",
         summary="The issuer's DID document (did:web)")
    def did_document(self, portable: NamedDependency[PortableCredentials],
                     request: Request[Any, Any, Any]) -> DidDocument:
        """Every issuer key as a ``JsonWebKey`` verification method; a credential's ``kid`` names one."""
        return portable.did_document()


PORTABLE_CONTROLLERS = [PortableCredentialController, StatusListController, DidController]
