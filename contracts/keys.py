"""API keys and roles as clients see them."""

from __future__ import annotations

import datetime as dt
import enum
import msgspec

from contracts.text import Reason, Title


class Role(enum.StrEnum):
    """The role of an API key; ``hr`` and ``provider`` are scoped to one nursery or provider."""

    ADMIN = "admin"
    REGISTRAR = "registrar"  # district education bureau
    HR = "hr"  # one nursery
    PROVIDER = "provider"  # one training provider
    INSPECTOR = "inspector"
    AUDITOR = "auditor"
    SERVICE = "service"  # the other carecred service, following our feed


class NewKey(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A key to issue: role, scope for hr (nursery id) and provider (provider id), a name."""

    role: Role
    name: Title
    scope: str | None = None
    expires_at: dt.datetime | None = None


class IssuedKey(msgspec.Struct, kw_only=True):
    """A newly issued key: the token appears here once and is never shown again."""

    key_id: str
    token: str
    role: Role
    scope: str | None


class KeyRevocation(msgspec.Struct, forbid_unknown_fields=True):
    """Why a key is revoked."""

    reason: Reason


class KeyInfo(msgspec.Struct, frozen=True, kw_only=True):
    """An API key as listed (never with its token)."""

    key_id: str
    role: str
    scope: str | None
    name: str
    created_at: str
    expires_at: str | None
    revoked_at: str | None
