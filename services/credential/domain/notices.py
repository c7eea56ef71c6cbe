"""Webhook subscriptions and the daily notice pass, as events; the rules that name each notice.

A subscription's signing secret is never recorded: it is derived from the service's audit
secret and the subscription's random salt (``webhook_addresses.signing_secret``), so the log, its
exports and backups hold nothing that signs a notice.

A notice pass records only the notices some active subscriber has not been sent yet, so a second
run on the same day finds none and records nothing; two replicas running it at once compute the
same notices, hence the same pass id (the day and a digest of the notices), and collide in the
event store: one pass is recorded.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from shared.errors import Conflict

PASS_NAMESPACE = uuid5(NAMESPACE_URL, "urn:carecred:notice-pass")
WEBHOOK_NAMESPACE = uuid5(NAMESPACE_URL, "urn:carecred:webhook-message")
THRESHOLDS = (30, 60, 90)
"""Days before a certificate's expiry at which its holder's nurseries are told (each threshold once)."""
FIRST_TRAINING_MONTH = 7
"""Training shortfalls are told from the third quarter on (July), once a quarter."""


def threshold_of(days_left: int) -> int:
    """The smallest threshold the remaining days are within (30, 60 or 90)."""
    return next(t for t in THRESHOLDS if days_left <= t)


def webhook_id_for(subscription_id: str, notice_type: str, subject: str) -> str:
    """The same id on every attempt, and for the same subscriber, type and subject (Standard Webhooks ``webhook-id``)."""
    return f"msg_{uuid5(WEBHOOK_NAMESPACE, f'{subscription_id}|{notice_type}|{subject}').hex}"


def pass_id_for(day: str, notices: list[dict[str, Any]]) -> UUID:
    """The id of a notice pass: its day (YYYY-MM-DD, Asia/Shanghai) and which notices it raises."""
    occasions = sorted((n["type"], n["subject"], n["nursery_id"]) for n in notices)
    digest = hashlib.sha256(json.dumps(occasions, ensure_ascii=False).encode()).hexdigest()
    return uuid5(PASS_NAMESPACE, f"{day}|{digest}")


class Subscription(Aggregate):
    """Where a nursery's HR, or the district's registrar, wants notices sent."""

    TOPIC = "carecred.credential:WebhookSubscription"

    class Event(Aggregate.Event):
        TOPIC = "carecred.credential:WebhookSubscription.Event"
        actor: dict[str, Any]

    class Subscribed(Event, Aggregate.Created):
        TOPIC = "carecred.credential:WebhookSubscription.Subscribed.v1"
        nursery_id: str | None
        """None: the whole district (a registrar's subscription)."""
        url: str
        types: list[str]
        description: str
        salt: str
        """Random hex; with the service's secret it gives the signing secret (never recorded)."""

    class Changed(Event):
        TOPIC = "carecred.credential:WebhookSubscription.Changed.v1"
        url: str
        types: list[str]
        description: str

    class Ended(Event):
        TOPIC = "carecred.credential:WebhookSubscription.Ended.v1"
        reason: str

    @event(Subscribed)
    def __init__(self, nursery_id: str | None, url: str, types: list[str], description: str, salt: str,
                 actor: dict[str, Any]):
        self.nursery_id = nursery_id
        self.url = url
        self.types = types
        self.description = description
        self.salt = salt
        self.ended = False

    def change(self, url: str, types: list[str], description: str, actor: dict[str, Any]) -> None:
        self._refuse_if_ended()
        if (url, types, description) == (self.url, self.types, self.description):
            raise Conflict("the subscription already has this URL, these types and this description",
                           code="subscription_unchanged")
        self._changed(url=url, types=types, description=description, actor=actor)

    @event(Changed)
    def _changed(self, url: str, types: list[str], description: str, actor: dict[str, Any]) -> None:
        self.url = url
        self.types = types
        self.description = description

    def end(self, reason: str, actor: dict[str, Any]) -> None:
        self._refuse_if_ended()
        self._ended(reason=reason, actor=actor)

    @event(Ended)
    def _ended(self, reason: str, actor: dict[str, Any]) -> None:
        self.ended = True

    def _refuse_if_ended(self) -> None:
        if self.ended:
            raise Conflict("the subscription has ended; subscribe again", code="subscription_ended")


class NoticePass(Aggregate):
    """Time-based notices raised on a day (certificates falling due, training hours short), each owed to
    at least one subscriber."""

    TOPIC = "carecred.credential:NoticePass"

    class Event(Aggregate.Event):
        TOPIC = "carecred.credential:NoticePass.Event"
        actor: dict[str, Any]

    class Ran(Event, Aggregate.Created):
        TOPIC = "carecred.credential:NoticePass.Ran.v1"
        day: str
        notices: list[dict[str, Any]]
        """Each ``{"type", "subject", "nursery_id", "staff_id", "name", "data"}`` (``UpcomingNotice``)."""

    @staticmethod
    def create_id(day: str, notices: list[dict[str, Any]], **_: Any) -> UUID:
        return pass_id_for(day, notices)

    @event(Ran)
    def __init__(self, day: str, notices: list[dict[str, Any]], actor: dict[str, Any]):
        self.day = day
        self.notices = notices
