"""Webhook subscriptions, the notices they receive, and the delivery log (Standard Webhooks).

A notice is sent to a subscriber's URL as a Standard Webhooks message: a JSON body
``{"type", "timestamp", "data"}`` (``WebhookMessage``) with the headers ``webhook-id`` (the
same on every attempt, and the same for the same subscriber, reason and subject: dedupe on it),
``webhook-timestamp`` and ``webhook-signature`` (``v1,<base64 HMAC-SHA256>`` with the
subscription's ``whsec_`` secret). Verify with any Standard Webhooks library.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from contracts.command import Command
from contracts.text import Note, Reason, Uuid, line, refusing

NoticeType = Literal["certificate.due", "training.short", "badge.suspended", "badge.revoked"]
"""What a notice is about: a certificate (or yearly re-check) falling due in 90/60/30 days; a person's
training hours short of the year's requirement from the third quarter on; a badge suspended or revoked."""
NOTICE_TYPES: tuple[str, ...] = NoticeType.__args__  # type: ignore[attr-defined]

URL_MAX_LENGTH = 2000
WebhookUrl = line(URL_MAX_LENGTH, (
    "Where notices are POSTed: an https URL without user name or password (http only to a loopback"
    " address, where the service allows it for tests and development)"
), min_length=10, pattern=refusing(r"\s"))
NoticeTypes = Annotated[list[NoticeType], msgspec.Meta(
    min_length=1, max_length=len(NOTICE_TYPES), description="The notice types to receive (each once)")]


class NewSubscription(Command, kw_only=True):
    """A webhook to send notices to: HR for its own nursery; the registrar for one nursery or (no
    ``nursery_id``) the whole district."""

    url: WebhookUrl
    types: NoticeTypes = msgspec.field(default_factory=lambda: list(NOTICE_TYPES))
    nursery_id: Uuid | None = None
    """An hr key's own nursery (the default; another is 403); a registrar's choice, or none: the district."""
    description: Note = ""


class SubscriptionChange(Command, kw_only=True):
    """A subscription's new URL, notice types and description (its secret stays)."""

    url: WebhookUrl
    types: NoticeTypes
    description: Note = ""


class SubscriptionEnd(Command, kw_only=True):
    """Why a subscription ends (no notice is sent to it afterwards)."""

    reason: Reason


class SubscriptionView(msgspec.Struct, kw_only=True):
    """A webhook subscription as recorded."""

    subscription_id: str
    nursery_id: str | None
    """None: the whole district."""
    url: str
    types: list[str]
    description: str
    status: Literal["active", "ended"]
    created_at: str
    changed_at: str | None = None
    ended_at: str | None = None


class NewSubscriptionSecret(msgspec.Struct, kw_only=True):
    """A new subscription and its signing secret: shown this once, never stored by the service."""

    subscription: SubscriptionView
    secret: str
    """Standard Webhooks form: ``whsec_`` and base64 of 32 random-looking bytes."""


class DeliveryAttempt(msgspec.Struct, kw_only=True):
    """One try to deliver a notice: when, and what the receiver answered (or why there was no answer)."""

    attempt: int
    at: str
    status_code: int | None
    error: str | None
    duration_ms: int


class Delivery(msgspec.Struct, kw_only=True):
    """One notice to one subscriber, with every attempt to deliver it."""

    webhook_id: str
    subscription_id: str
    nursery_id: str | None
    type: str
    subject: str
    raised_at: str
    status: Literal["pending", "delivered", "failed"]
    """``failed``: every allowed attempt failed; ``pending``: another attempt is due at ``next_attempt_at``."""
    next_attempt_at: str | None
    attempts: list[DeliveryAttempt]


class UpcomingNotice(msgspec.Struct, kw_only=True):
    """A time-based notice as of a day: what the daily pass sends (once) to the nursery's subscribers."""

    type: str
    subject: str
    """What it is about, e.g. ``certificate:<id>:<expiry>:30``: one notice per subscriber and subject."""
    nursery_id: str
    staff_id: str
    name: str
    data: dict[str, Any]


class WebhookMessage(msgspec.Struct, kw_only=True):
    """The body of every webhook request (Standard Webhooks' recommended shape)."""

    type: str
    timestamp: str
    """When the notice was raised (RFC 3339)."""
    data: dict[str, Any]
