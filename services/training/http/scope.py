"""Scope of provider keys: a provider acts and reads only for itself."""

from __future__ import annotations

from uuid import UUID

from contracts.keys import Role
from shared.auth.roles import Principal
from shared.errors import Forbidden


def require_own_provider(principal: Principal, provider_id: UUID) -> None:
    """403 when a provider key acts for, or reads, another provider."""
    if principal.role is Role.PROVIDER and principal.scope != str(provider_id):
        raise Forbidden("a provider key may act only for its own provider", code="outside_scope")
