"""API key administration over HTTP (the CLI ``carecred keys`` does the same)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar.params import FromPath, JSONBody
from litestar.di import NamedDependency
from litestar import Controller, Request, get, post

from contracts.keys import IssuedKey, KeyInfo, KeyRevocation, NewKey
from shared.application import ServiceApplication
from shared.auth.roles import SCOPE_KINDS, Principal, Role
from shared.errors import Invalid
from shared.http.auth import allow


class KeysController(Controller):
    """API keys: issue, list, revoke (admin); list (auditor)."""

    path = "/v1/keys"
    tags = ["keys"]

    @post("/", guards=[allow(Role.ADMIN)], sync_to_thread=True)
    def issue(
        self, service: NamedDependency[ServiceApplication],
        data: JSONBody[NewKey], request: Request[Principal, Any, Any],
    ) -> IssuedKey:
        """Issue an API key; the token is in this answer only (422 for a scope this service does not know)."""
        if data.scope is not None and service.scope_is_known(data.role, data.scope) is False:
            raise Invalid(f"no {SCOPE_KINDS.get(data.role, 'scope')} with id {data.scope}", field="scope",
                          code="unknown_scope")
        key_id, token = service.issue_key(
            role=data.role, scope=data.scope, name=data.name, expires_at=data.expires_at, actor=request.user.actor()
        )
        scope = str(UUID(data.scope)) if data.scope else None
        return IssuedKey(key_id=key_id, token=token, role=data.role, scope=scope)

    @get("/", guards=[allow(Role.ADMIN, Role.AUDITOR)], sync_to_thread=True)
    def list_keys(
        self, service: NamedDependency[ServiceApplication],
        request: Request[Principal, Any, Any],
    ) -> list[KeyInfo]:
        """Every key ever issued, without tokens."""
        return service.list_keys()

    @post("/{key_id:uuid}/revoke", guards=[allow(Role.ADMIN)], sync_to_thread=True, status_code=200)
    def revoke(
        self, service: NamedDependency[ServiceApplication],
        key_id: FromPath[UUID], data: JSONBody[KeyRevocation], request: Request[Principal, Any, Any],
    ) -> KeyInfo:
        """Revoke a key at once."""
        service.revoke_key(key_id, reason=data.reason, actor=request.user.actor())
        return next(k for k in service.list_keys() if k.key_id == str(key_id))
