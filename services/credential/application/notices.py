"""Notices that reach people: webhook subscriptions, the daily pass, the delivery log, delivering.

``Credentials`` builds it once (``app.notices``); its projector keeps its own position in the log
(like the badges'), so hosting it changes nothing in the credential service's own projections.
The background loop that runs the pass and the deliveries is ``notice_loop.NoticeLoop``.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from contracts.notices import (
    Delivery, DeliveryAttempt, NewSubscription, NewSubscriptionSecret, SubscriptionChange, SubscriptionView,
    UpcomingNotice,
)
from services.credential.application.notice_delivery import Deliverer
from services.credential.application.notice_sources import NoticeSources
from services.credential.application.registry import Registry
from services.credential.domain.notices import NoticePass, Subscription, webhook_id_for
from services.credential.domain.webhook_addresses import checked_url, signing_secret
from services.credential.read_models.notices import NoticeProjection, NoticeProjector, create_tables
from shared.application import ServiceApplication
from shared.district import today
from shared.errors import Invalid, NotFound
from shared.persistence import query_in, startup_lock

_SUBSCRIPTION_COLUMNS = "subscription_id, nursery_id, url, types, description, status, created_at, changed_at, ended_at"


class Notices:
    """Webhook subscriptions (HR for its nursery, the registrar for the district), the daily pass and deliveries."""

    def __init__(self, app: ServiceApplication, registry: Registry, sources: NoticeSources):
        self.app = app
        self.registry = registry
        self.sources = sources
        self.settings = app.settings
        self.projector = NoticeProjector(app, app.store, [NoticeProjection()])
        if app.settings.create_event_tables:  # else `carecred db migrate` made them (Credentials.create_tables)
            with startup_lock(app.settings, app.service):
                create_tables(self.projector)
        self.deliverer = Deliverer(app.store, app.settings, app.settings.resolved_audit_secret())

    # Subscriptions ------------------------------------------------------------------------------

    def subscribe(self, data: NewSubscription, *, nursery_id: str | None, actor: dict[str, Any]) -> NewSubscriptionSecret:
        """Record a subscription; its signing secret is in the answer, this once."""
        url, types = self._checked(data.url, data.types)
        if nursery_id is not None:
            self.registry.nursery(UUID(nursery_id))  # 404 for an unknown nursery
        subscription = Subscription(nursery_id=nursery_id, url=url, types=types, description=data.description,
                                    salt=secrets.token_hex(16), actor=actor)
        self.app.save_and_project(subscription, also=[self.projector])
        secret = signing_secret(self.deliverer.service_secret, str(subscription.id), subscription.salt)
        return NewSubscriptionSecret(subscription=self.subscription(subscription.id), secret=secret)

    def change(self, subscription_id: UUID, data: SubscriptionChange, *, visible_to: UUID | None,
               actor: dict[str, Any]) -> SubscriptionView:
        subscription = self._own(subscription_id, visible_to)
        url, types = self._checked(data.url, data.types)
        subscription.change(url, types, data.description, actor)
        self.app.save_and_project(subscription, also=[self.projector])
        return self.subscription(subscription_id)

    def end(self, subscription_id: UUID, reason: str, *, visible_to: UUID | None, actor: dict[str, Any]) -> SubscriptionView:
        subscription = self._own(subscription_id, visible_to)
        subscription.end(reason, actor)
        self.app.save_and_project(subscription, also=[self.projector])
        return self.subscription(subscription_id)

    def _own(self, subscription_id: UUID, visible_to: UUID | None) -> Subscription:
        self.subscription(subscription_id, visible_to=visible_to)  # 404 when it is another nursery's
        return self.app.get_or_404(subscription_id, "webhook subscription")

    def _checked(self, url: str, types: list[str]) -> tuple[str, list[str]]:
        if len(set(types)) != len(types):
            raise Invalid("types lists a notice type twice", field="types")
        return checked_url(url, allow_loopback_http=self.settings.webhook_allow_loopback_http), sorted(types)

    def subscription(self, subscription_id: UUID, *, visible_to: UUID | None = None) -> SubscriptionView:
        self.projector.catch_up("notices")
        row = self.app.store.query_one(
            f"SELECT {_SUBSCRIPTION_COLUMNS} FROM webhook_subscriptions WHERE subscription_id = ?", (str(subscription_id),))
        if row is None or (visible_to is not None and row["nursery_id"] != str(visible_to)):
            raise NotFound(f"no webhook subscription with id {subscription_id}")
        return _view(row)

    def subscriptions(self, *, visible_to: UUID | None = None) -> list[SubscriptionView]:
        self.projector.catch_up("notices")
        statement = f"SELECT {_SUBSCRIPTION_COLUMNS} FROM webhook_subscriptions"
        params: list[str] = []
        if visible_to is not None:
            statement += " WHERE nursery_id = ?"
            params.append(str(visible_to))
        return [_view(r) for r in self.app.store.query(statement + " ORDER BY created_at, subscription_id", params)]

    # The delivery log ---------------------------------------------------------------------------

    def deliveries(self, *, visible_to: UUID | None = None, subscription_id: UUID | None = None,
                   limit: int = 100) -> list[Delivery]:
        """The newest notices sent or to be sent, with every attempt (an hr key: its nursery's subscriptions')."""
        self.projector.catch_up("notices")
        statement = ("SELECT o.webhook_id, o.subscription_id, o.nursery_id, o.type, o.subject, o.raised_at,"
                     " p.due_at FROM webhook_outbox o JOIN webhook_subscriptions s ON s.subscription_id = o.subscription_id"
                     " LEFT JOIN webhook_pending p ON p.webhook_id = o.webhook_id WHERE 1 = 1")
        params: list[Any] = []
        if visible_to is not None:
            statement += " AND s.nursery_id = ?"
            params.append(str(visible_to))
        if subscription_id is not None:
            statement += " AND o.subscription_id = ?"
            params.append(str(subscription_id))
        rows = self.app.store.query(statement + " ORDER BY o.position DESC, o.webhook_id LIMIT ?", [*params, limit])
        attempts: dict[str, list[Any]] = {r["webhook_id"]: [] for r in rows}
        for a in query_in(self.app.store.query, "SELECT * FROM webhook_attempts WHERE webhook_id IN ({marks})"
                          " ORDER BY webhook_id, attempt", attempts):
            attempts[a["webhook_id"]].append(a)
        return [_delivery(r, attempts[r["webhook_id"]]) for r in rows]

    # Time-based notices -------------------------------------------------------------------------

    def upcoming(self, *, on: dt.date, nursery_id: str | None = None) -> list[UpcomingNotice]:
        """The time-based notices as of the day: what the daily pass sends (once per subscriber)."""
        return self.sources.upcoming(on, nursery_id)

    def run_daily(self, *, on: dt.date | None = None, actor: dict[str, Any]) -> tuple[dt.date, int]:
        """The day's pass: record the time-based notices some subscriber has not been sent; (day, how many).

        Idempotent: what was sent is in the outbox, so a second run on a day records nothing (0).
        """
        day = on or today()
        self.projector.catch_up()
        subscriptions = self.app.store.query(
            "SELECT subscription_id, nursery_id, types FROM webhook_subscriptions WHERE status = 'active'")
        if not subscriptions:
            return day, 0  # nobody to tell: not even worth looking
        owed = self._not_yet_sent(self.upcoming(on=day), subscriptions)
        if not owed:
            return day, 0
        notices = [{"type": n.type, "subject": n.subject, "nursery_id": n.nursery_id, "staff_id": n.staff_id,
                    "name": n.name, "data": n.data} for n in owed]
        try:
            self.app.save_and_project(NoticePass(day=day.isoformat(), notices=notices, actor=actor), also=[self.projector])
        except IntegrityError:  # another replica recorded the same pass a moment ago
            self.projector.catch_up()
            return day, 0
        return day, len(notices)

    def _not_yet_sent(self, candidates: list[UpcomingNotice], subs: list[Any]) -> list[UpcomingNotice]:
        """The notices at least one of the active subscriptions wants and has not been sent."""
        wanted: dict[int, list[str]] = {}
        for i, notice in enumerate(candidates):
            wanted[i] = [webhook_id_for(s["subscription_id"], notice.type, notice.subject) for s in subs
                         if notice.type in s["types"].split(",") and s["nursery_id"] in (None, notice.nursery_id)]
        every = {w for ids in wanted.values() for w in ids}
        sent = {r["webhook_id"] for r in query_in(
            self.app.store.query, "SELECT webhook_id FROM webhook_outbox WHERE webhook_id IN ({marks})", every)}
        return [n for i, n in enumerate(candidates) if any(w not in sent for w in wanted[i])]

    # Delivering ---------------------------------------------------------------------------------

    def deliver_due(self) -> int:
        """Bring the outbox up to date with the log, then attempt what is due; how many attempts."""
        self.projector.catch_up()
        return self.deliverer.deliver_due()


def _view(row: Any) -> SubscriptionView:
    return SubscriptionView(
        subscription_id=row["subscription_id"], nursery_id=row["nursery_id"], url=row["url"],
        types=row["types"].split(","), description=row["description"], status=row["status"],
        created_at=row["created_at"], changed_at=row["changed_at"], ended_at=row["ended_at"],
    )


def _delivery(row: Any, attempts: list[Any]) -> Delivery:
    delivered = any(a["delivered"] for a in attempts)
    pending = row["due_at"] is not None
    return Delivery(
        webhook_id=row["webhook_id"], subscription_id=row["subscription_id"], nursery_id=row["nursery_id"],
        type=row["type"], subject=row["subject"], raised_at=row["raised_at"],
        status="delivered" if delivered else "pending" if pending else "failed",
        next_attempt_at=row["due_at"] if pending else None,
        attempts=[DeliveryAttempt(attempt=int(a["attempt"]), at=a["at"], status_code=a["status_code"], error=a["error"],
                                  duration_ms=int(a["duration_ms"])) for a in attempts],
    )
