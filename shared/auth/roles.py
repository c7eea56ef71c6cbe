"""Who may do what: the roles an API key can carry."""

from __future__ import annotations

import msgspec

from contracts.keys import Role


SCOPED_ROLES = {Role.HR: "nursery", Role.PROVIDER: "provider"}
"""Roles whose keys must name what they act for."""
OPTIONALLY_SCOPED = {Role.INSPECTOR: "inspector"}
"""Roles whose keys may name one (an inspector key scoped to a registered inspector records visits)."""
SCOPE_KINDS = {**SCOPED_ROLES, **OPTIONALLY_SCOPED}


class Principal(msgspec.Struct, frozen=True):
    """The authenticated caller: which key, which role, which scope."""

    key_id: str
    role: Role
    scope: str | None = None
    name: str = ""

    def actor(self) -> dict[str, str | None]:
        """What every event records about who did it."""
        return {"key_id": self.key_id, "role": str(self.role), "scope": self.scope}


def operator_actor(user: str) -> dict[str, str | None]:
    """The actor of a command run by an operator at the command line."""
    return {"key_id": None, "role": "operator", "scope": None, "via": "cli", "user": user}
