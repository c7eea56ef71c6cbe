"""Liveness and readiness."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException
from litestar.params import QueryParameter

from shared.application import ServiceApplication
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
    async def health(self, service: NamedDependency[ServiceApplication], request: Request[Any, Any, Any]) -> Health:
        """The process answers."""
        return Health(status="alive", service=service.service)

    @get("/ready", summary="Ready", sync_to_thread=True)
    def ready(
        self, service: NamedDependency[ServiceApplication],
        request: Request[Any, Any, Any],
        readiness: Annotated[Literal["all", "process"], QueryParameter(name="scope", description=(
            "all: the storage answers and no read model is stalled (for monitoring and alerts); process: "
            "this process and its storage answer (for load balancers: a stalled read model is shared by every "
            "replica, so taking replicas out of rotation for it would only stop the writes and the other reads)"
        ))] = "all",
    ) -> Health:
        """The process answers, its storage answers, the next event to apply is authenticated and no read model is stalled (503 otherwise)."""
        try:
            service.is_ready()
            stalled = service.stalled_read_models()  # also refreshes the stall metrics of this process
            if readiness == "process":
                stalled = []
        except (HTTPException, DomainError):  # e.g. 503 event_not_authenticated, naming the read model and position
            raise
        except Exception:  # noqa: BLE001 - any storage failure means "not ready"
            raise problem(503, "not_ready", "The storage does not answer.", headers={"Retry-After": "2"}) from None
        followers = service.follower_status()
        stuck = [f for f in followers if f.stalled] if readiness == "all" else []
        if stalled or stuck:
            names = ", ".join([*(s.read_model for s in stalled), *(f"the follower of {f.source}" for f in stuck)])
            raise problem(
                503, "not_ready",
                f"Stalled at an event they cannot apply: {names}. Writes and the other read models keep working;"
                " see docs/read-model-stalls.md.",
                stalled_read_models=[s.public() for s in stalled], followers=[msgspec.to_builtins(f) for f in followers],
            )
        return Health(status="ready", service=service.service, followers=followers)
