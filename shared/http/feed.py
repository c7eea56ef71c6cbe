"""``GET /v1/feed``: a service's public events in commit order, for the other service and auditors."""

# No ``from __future__ import annotations`` here: the handler's return annotation is the
# service's own page type, given at run time, and Litestar must see the real type.

from typing import Annotated, Any

from litestar.di import NamedDependency
from litestar import Controller, Request, get
from litestar.params import Parameter

from contracts.keys import Role
from shared.feed import Publisher
from shared.http.auth import allow


def feed_controller(page_type: Any) -> type[Controller]:
    """A controller serving the service's feed as ``page_type`` (a ``FeedPage[...]``)."""

    class FeedController(Controller):
        """The public event feed (service keys of the other service, auditors)."""

        path = "/v1/feed"
        tags = ["feed"]

        @get("/", guards=[allow(Role.SERVICE, Role.AUDITOR)], sync_to_thread=True)
        def feed(
            self, publisher: NamedDependency[Publisher],
            request: Request,
            after: Annotated[int, Parameter(ge=0, le=2**63 - 1, description="Return events after this position")] = 0,
            limit: Annotated[int, Parameter(ge=1, le=1000, description="At most this many events")] = 100,
        ) -> page_type:  # type: ignore[valid-type]
            """Public events after a position, in commit order; continue from ``next_after``."""
            return publisher.page(after, limit)

    return FeedController
