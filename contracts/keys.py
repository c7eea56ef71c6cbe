"""API keys and roles as clients see them."""

from __future__ import annotations

import enum

import msgspec

from contracts.command import Command
from contracts.dates import Instant
from contracts.text import Reason, Title, Uuid


class Role(enum.StrEnum):
    """The role of an API key; ``hr`` and ``provider`` are scoped to one nursery or provider."""

    ADMIN = "admin"
    REGISTRAR = "registrar"  # district education bureau
    HR = "hr"  # one nursery
    PROVIDER = "provider"  # one training provider
    INSPECTOR = "inspector"
    AUDITOR = "auditor"
    SERVICE = "service"  # the other carecred service, following our feed


class NewKey(Command, kw_only=True):
    """A key to issue: role, scope for hr (nursery id) and provider (provider id), a name.

    ``scope`` is required for hr and provider keys, optional for inspector keys (a registered
    inspector of the credential service: only a scoped inspector key records visits, scans and
    findings) and refused for the others; it is the UUID of a nursery, provider or inspector the
    service knows, where it keeps them (the credential service checks nurseries and inspectors,
    the training service providers and refuses an inspector scope). ``expires_at`` needs a UTC offset.
    """

    role: Role
    name: Title
    scope: Uuid | None = None
    expires_at: Instant | None = None


class IssuedKey(msgspec.Struct, kw_only=True):
    """A newly issued key: the token appears here once and is never shown again."""

    key_id: str
    token: str
    role: Role
    scope: str | None


class KeyRevocation(Command):
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
