"""Scope checks: an hr key sees its own nursery, a provider key its own provider."""

from __future__ import annotations

from uuid import UUID

from contracts.keys import Role
from shared.auth.roles import Principal
from shared.errors import Forbidden


def nursery_scope(principal: Principal) -> UUID | None:
    """The nursery an hr key is limited to; None for district-wide roles."""
    if principal.role is Role.HR:
        return UUID(principal.scope) if principal.scope else UUID(int=0)
    return None


def require_own_nursery(principal: Principal, nursery_id: UUID | str | None) -> None:
    """403 when an hr key acts on another nursery than its own."""
    own = nursery_scope(principal)
    if own is not None and (nursery_id is None or _uuid_or_none(nursery_id) != own):
        raise Forbidden("an hr key may act only for its own nursery", code="outside_scope")


def _uuid_or_none(value: UUID | str) -> UUID | None:
    """A nursery id from a request (a body may hold any text): not a UUID is not the key's nursery."""
    try:
        return UUID(str(value))
    except ValueError:
        return None


def acting_nursery(principal: Principal, requested: str | None) -> str | None:
    """The nursery a command acts for: an hr key's own (the default; any other is 403), else as requested."""
    if principal.role is Role.HR:
        nursery_id = requested or principal.scope
        require_own_nursery(principal, nursery_id)
        return nursery_id
    return requested
