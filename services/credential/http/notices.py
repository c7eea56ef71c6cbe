"""HTTP: webhook subscriptions (HR for its nursery, the registrar for the district), the delivery log,
and the upcoming time-based notices (the HR page's list)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, Parameter

from contracts.keys import Role
from contracts.notices import (
    Delivery, NewSubscription, NewSubscriptionSecret, SubscriptionChange, SubscriptionEnd, SubscriptionView,
    UpcomingNotice,
)
from services.credential.application.notices import Notices
from services.credential.application.registry import Registry
from services.credential.http.dates import OnDate, on_or_today
from shared.auth.roles import Principal
from shared.http.auth import allow
from shared.http.scope import acting_nursery, nursery_scope, require_own_nursery

SUBSCRIBERS = (Role.HR, Role.REGISTRAR)
READERS = (Role.HR, Role.REGISTRAR, Role.AUDITOR)


class WebhookController(Controller):
    """Webhook subscriptions: notices of certificates falling due, training short, badges suspended or revoked."""

    path = "/v1/webhooks"
    tags = ["notices"]

    @post("/", guards=[allow(*SUBSCRIBERS)], sync_to_thread=True)
    def subscribe(self, notices: NamedDependency[Notices], data: JSONBody[NewSubscription], request: Request[Principal, Any, Any]) -> NewSubscriptionSecret:
        """Subscribe a URL (an hr key: for its own nursery); the answer shows the signing secret this once."""
        nursery_id = acting_nursery(request.user, data.nursery_id)
        if nursery_id is not None:
            nursery_id = str(UUID(nursery_id))
        return notices.subscribe(data, nursery_id=nursery_id, actor=request.user.actor())

    @get("/", guards=[allow(*READERS)], sync_to_thread=True)
    def subscriptions(self, notices: NamedDependency[Notices], request: Request[Principal, Any, Any]) -> list[SubscriptionView]:
        """Subscriptions, ended ones too (an hr key: its own nursery's)."""
        return notices.subscriptions(visible_to=nursery_scope(request.user))

    @get("/deliveries", guards=[allow(*READERS)], sync_to_thread=True)
    def deliveries(
        self,
        notices: NamedDependency[Notices],
        request: Request[Principal, Any, Any],
        subscription_id: Annotated[UUID | None, Parameter(description="Only this subscription's")] = None,
        limit: Annotated[int, Parameter(ge=1, le=500, description="How many, newest first")] = 100,
    ) -> list[Delivery]:
        """The delivery log: each notice per subscriber, with every attempt (an hr key: its nursery's subscriptions)."""
        return notices.deliveries(visible_to=nursery_scope(request.user), subscription_id=subscription_id,
                                            limit=limit)

    @get("/{subscription_id:uuid}", guards=[allow(*READERS)], sync_to_thread=True)
    def subscription(self, notices: NamedDependency[Notices], subscription_id: FromPath[UUID], request: Request[Principal, Any, Any]) -> SubscriptionView:
        """One subscription (404 for an hr key of another nursery)."""
        return notices.subscription(subscription_id, visible_to=nursery_scope(request.user))

    @put("/{subscription_id:uuid}", guards=[allow(*SUBSCRIBERS)], sync_to_thread=True)
    def change(self, notices: NamedDependency[Notices], subscription_id: FromPath[UUID], data: JSONBody[SubscriptionChange],
               request: Request[Principal, Any, Any]) -> SubscriptionView:
        """Change the URL, the notice types or the description (the secret stays; 409 once ended)."""
        return notices.change(subscription_id, data, visible_to=nursery_scope(request.user),
                                        actor=request.user.actor())

    @post("/{subscription_id:uuid}/end", guards=[allow(*SUBSCRIBERS)], sync_to_thread=True, status_code=200)
    def end(self, notices: NamedDependency[Notices], subscription_id: FromPath[UUID], data: JSONBody[SubscriptionEnd],
            request: Request[Principal, Any, Any]) -> SubscriptionView:
        """End a subscription: nothing more is sent to it, not even retries (409 if it has ended)."""
        return notices.end(subscription_id, data.reason, visible_to=nursery_scope(request.user),
                                     actor=request.user.actor())


class UpcomingNoticeController(Controller):
    """The time-based notices as of a day: what the daily pass sends, and what the HR page lists."""

    path = "/v1/nurseries/{nursery_id:uuid}/upcoming-notices"
    tags = ["notices"]

    @get("/", guards=[allow(*READERS)], sync_to_thread=True)
    def upcoming(self, notices: NamedDependency[Notices], registry: NamedDependency[Registry],
                 nursery_id: FromPath[UUID], request: Request[Principal, Any, Any], on: OnDate = None) -> list[UpcomingNotice]:
        """Certificates falling due in 90/60/30 days, training short from the third quarter (an hr key: its own)."""
        require_own_nursery(request.user, nursery_id)
        registry.nursery(nursery_id)  # 404 for an unknown nursery
        return notices.upcoming(on=on_or_today(on), nursery_id=str(nursery_id))


NOTICE_CONTROLLERS = [WebhookController, UpcomingNoticeController]
