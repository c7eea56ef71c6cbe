"""Who may do what: the roles an API key can carry."""

from __future__ import annotations

import msgspec

from contracts.keys import Role


SCOPED_ROLES = {Role.HR: "nursery", Role.PROVIDER: "provider"}


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
