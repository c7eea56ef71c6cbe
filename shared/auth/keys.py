"""API keys as aggregates: issuing and revoking are events, so who held which power is auditable."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5
from eventsourcing.domain import Aggregate, event

from shared.errors import Conflict

TOKEN_PREFIX = "cc_"


def new_token() -> str:
    """A fresh random bearer token (shown once, never stored)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """The only form of a token that is stored (tokens are 256-bit random, so a plain hash suffices)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class ApiKey(Aggregate):
    """An API key: its role, scope and lifetime; the token itself is only ever stored hashed."""

    TOPIC = "carecred.shared:ApiKey"

    class Event(Aggregate.Event):
        TOPIC = "carecred.shared:ApiKey.Event"
        actor: dict[str, Any]

    class Issued(Event, Aggregate.Created):
        TOPIC = "carecred.shared:ApiKey.Issued.v1"
        role: str
        scope: str | None
        name: str
        token_hash: str
        expires_at: str | None

    class Revoked(Event):
        TOPIC = "carecred.shared:ApiKey.Revoked.v1"
        reason: str

    @staticmethod
    def create_id(token_hash: str) -> UUID:
        # Derived from the token, so one token issued to both services has one key id.
        return uuid5(NAMESPACE_URL, f"urn:carecred:api-key:{token_hash}")

    @event(Issued)
    def __init__(
        self,
        role: str,
        scope: str | None,
        name: str,
        token_hash: str,
        expires_at: str | None,
        actor: dict[str, Any],
    ):
        self.role = role
        self.scope = scope
        self.name = name
        self.token_hash = token_hash
        self.expires_at = expires_at
        self.revoked = False

    def revoke(self, reason: str, actor: dict[str, Any]) -> None:
        if self.revoked:
            raise Conflict(f"key {self.id} is already revoked", code="key_already_revoked")
        self._revoked(reason=reason, actor=actor)

    @event(Revoked)
    def _revoked(self, reason: str, actor: dict[str, Any]) -> None:
        self.revoked = True
