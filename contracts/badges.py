"""Signed QR badges as clients see them: holder facts, issued badges, verdicts, status changes."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Annotated, Literal

import msgspec

from contracts.command import Command
from contracts.text import IdNumber, Uuid, line, prose

StatusReason = prose(500, "Why, in words")
QrText = line(4000, "The text of a scanned QR code")


class BadgeCertificate(msgspec.Struct, frozen=True, kw_only=True):
    """A certificate printed on a badge: its type, number and expiry date."""

    type: Annotated[str, msgspec.Meta(min_length=1, max_length=50)]
    number: Annotated[str, msgspec.Meta(min_length=1, max_length=50)]
    expires_on: dt.date


class BadgeHolder(msgspec.Struct, frozen=True, kw_only=True):
    """The facts a badge states about its holder (the caller has checked compliance)."""

    staff_id: str
    name: str
    nursery_id: str
    nursery_name: str
    roles: list[str]
    certificates: list[BadgeCertificate]


class IssueBadge(Command, kw_only=True):
    """A badge to issue for a compliant person; with the ID number from the card, it can confirm 人证合一 offline.

    Without ``id_number`` the badge carries no holder binding, and every offline check of it says
    that the holder cannot be checked."""

    staff_id: Uuid
    nursery_id: Uuid | None = None
    """For hr keys, the key's own nursery (may be omitted)."""
    id_number: IdNumber | None = None


class IssuedBadge(msgspec.Struct, kw_only=True):
    """A freshly signed badge: the QR text, and the QR code as PNG (base64) and SVG."""

    badge_id: str
    staff_id: str
    status_index: int
    key_id: str
    issued_at: dt.datetime
    expires_at: dt.datetime
    qr_text: str
    qr_version: int
    png_base64: str
    svg: str
    id_check: bool
    """Whether the badge carries the holder binding (人证合一) for offline checks."""


class BadgeView(msgspec.Struct, kw_only=True):
    """A badge as recorded: who holds it, which certificates it shows, its status."""

    badge_id: str
    staff_id: str
    nursery_id: str
    status_index: int
    key_id: str
    issued_at: str
    expires_at: str
    status: Literal["active", "suspended", "revoked"]
    badge_status: Literal["active", "suspended", "revoked"]
    certificates: list[dict[str, str]]


class BadgeStatusChange(Command, kw_only=True):
    """Why a badge is revoked, suspended or reinstated."""

    reason: StatusReason


class VerifyRequest(Command, kw_only=True):
    """A scanned badge text; optionally the ID number the inspector typed from the ID card."""

    qr: QrText
    id_number: IdNumber | None = None


class Verdict(enum.StrEnum):
    """What the inspector is told about a scanned badge."""

    VALID = "valid"
    INVALID_SIGNATURE = "invalid_signature"
    UNKNOWN_KEY = "unknown_key"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    REVOKED = "revoked"
    SUSPENDED = "suspended"
    MALFORMED = "malformed"
    HOLDER_MISMATCH = "holder_mismatch"
    """Genuine and current, but the ID number typed is not its holder's (人证不一)."""
    STATUS_UNKNOWN = "status_unknown"
    """Genuine and current, but the status data is missing or older than its maximum age."""


class HolderCheck(enum.StrEnum):
    """How a verdict relates the badge to the ID number the inspector typed (人证合一)."""

    MATCH = "match"
    MISMATCH = "mismatch"
    NOT_CHECKED = "not_checked"
    """No ID number was typed."""
    UNAVAILABLE = "unavailable"
    """An ID number was typed, but the badge carries no holder binding and no registry was at hand."""


class HolderView(msgspec.Struct, kw_only=True):
    """Whom the badge belongs to, to compare with the person in front of the inspector."""

    badge_id: str
    staff_id: str
    name: str
    nursery_id: str | None
    """Known online (from the issuer's records); a badge itself carries only the nursery's name."""
    nursery_name: str
    roles: list[str]
    certificates: list[BadgeCertificate]
    id_check: bool = False
    """Whether the badge carries the holder binding, so that a typed ID number can be checked offline."""


class Freshness(msgspec.Struct, kw_only=True):
    """How current the status data behind a verdict is: stale past ``expires_at`` (its maximum age)."""

    source: Literal["online", "cached", "none"]
    issued_at: dt.datetime | None
    age_seconds: int | None
    expires_at: dt.datetime | None
    stale: bool


class VerifyResult(msgspec.Struct, kw_only=True):
    """The verdict on a scanned badge, the holder (when the signature holds) and status freshness."""

    verdict: Verdict
    reason: str
    holder: HolderView | None = None
    key_id: str | None = None
    issued_at: dt.datetime | None = None
    expires_at: dt.datetime | None = None
    status: Freshness | None = None
    """How old the revocation and suspension data is."""
    trust: Freshness | None = None
    """How old the trust list (the accepted keys) is."""
    holder_check: HolderCheck = HolderCheck.NOT_CHECKED
    """人证合一: whether the typed ID number is the holder's; a mismatch makes the verdict ``holder_mismatch``."""
