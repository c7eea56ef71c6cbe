"""Liveness and readiness."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, get
from litestar.exceptions import HTTPException

from shared.errors import DomainError
from shared.follower import FollowerStatus
from shared.http.auth import PUBLIC
from shared.http.problems import problem


class Health(msgspec.Struct, omit_defaults=True):
    """Whether the process is alive, and which service it is; readiness adds the followers' lag."""

    status: str
    service: str
    followers: list[FollowerStatus] = []


class HealthController(Controller):
    """Health checks for load balancers and orchestrators."""

    tags = ["health"]
    opt = {PUBLIC: True}

    @get("/health", summary="Alive")
    async def health(self, request: Request[Any, Any, Any]) -> Health:
        """The process answers."""
        return Health(status="alive", service=request.app.state.service.service)

    @get("/ready", summary="Ready", sync_to_thread=True)
    def ready(self, request: Request[Any, Any, Any]) -> Health:
        """The process answers, its storage answers, and the next event to apply is authenticated (503 otherwise)."""
        service = request.app.state.service
        try:
            service.is_ready()
        except (HTTPException, DomainError):  # e.g. 503 event_not_authenticated, naming the read model and position
            raise
        except Exception:  # noqa: BLE001 - any storage failure means "not ready"
            raise problem(503, "not_ready", "The storage does not answer.", headers={"Retry-After": "2"}) from None
        return Health(status="ready", service=service.service, followers=service.follower_status())
