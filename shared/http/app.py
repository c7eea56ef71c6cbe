"""The Litestar app both services are built with: problem details, strict bodies, keys, health, docs."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.middleware import DefineMiddleware

from shared.application import ServiceApplication
from shared.http.apidocs import documented, openapi_config
from shared.http.audit import AuditController
from shared.http.auth import PUBLIC, ApiKeyMiddleware
from shared.http.feed import feed_controller
from shared.auth.limiter import FailureLimiter
from shared.http.health import HealthController
from shared.http.observability import MetricsController, default_logging, observed
from shared.http.proxies import parse_trusted_proxies, with_client_address
from shared.http.keys import KeysController
from shared.http.problems import internal_error_handler, problem_details_plugin
from shared.http.recorded import recorded_middleware
from shared.http.strict import strict_body


def provide(value: Any) -> Provide:
    """A dependency that is always ``value``: an object the service's ``create_app`` built once."""
    return Provide(lambda: value, use_cache=True, sync_to_thread=False)


def build_app(
    service: ServiceApplication,
    route_handlers: Sequence[Any],
    *,
    title: str,
    description: str,
    feed_page: Any = None,
    dependencies: Mapping[str, Any] | None = None,
) -> Litestar:
    """A service's HTTP app: its routes plus health, keys, feed, OpenAPI at /schema, problem+json errors.

    ``dependencies``: the objects the service's controllers declare as parameters (its use cases),
    by parameter name; every controller may also declare ``service``, ``audit`` and ``publisher``.
    """
    injected = {"service": service, "audit": service.audit, "publisher": service.publisher, **(dependencies or {})}
    feed = [feed_controller(feed_page)] if feed_page is not None else []
    try:
        trusted_proxies = parse_trusted_proxies(service.settings.trusted_proxies)
    except ValueError as exc:
        raise SystemExit(str(exc)) from None
    default_logging(service.settings.log_level)
    app = Litestar(
        route_handlers=[HealthController, MetricsController, KeysController, AuditController, *feed, *route_handlers],
        dependencies={name: provide(value) for name, value in injected.items()},
        state=State({"service": service, "auth_failures": FailureLimiter(service.settings.auth_failures_per_minute)}),
        plugins=[problem_details_plugin()],
        exception_handlers={Exception: internal_error_handler},
        middleware=[
            DefineMiddleware(ApiKeyMiddleware, exclude_from_auth_key=PUBLIC, exclude=["^/schema"]),
            recorded_middleware,
        ],
        before_request=strict_body,
        request_max_body_size=service.settings.max_body_bytes,
        openapi_config=openapi_config(title, description),
        on_startup=[service.start_followers, service.resume_stalled_in_background],
        on_shutdown=[service.stop_followers, service.close],
        # Logging belongs to the process (default_logging above), not to each app: Litestar's own
        # configuration would point the root logger at the sys.stderr of the moment, per app.
        logging_config=None,
    )
    # Around everything Litestar does for a request (routing, the key check, exception handling):
    # first the real client address, then request id, access log and metrics, so that requests
    # refused before a handler runs (401, 429, an unknown path) are logged and counted like any
    # other. Litestar's ``middleware=`` runs only once a route has matched, inside the handler
    # that turns the key check's exceptions into responses, so it cannot do this.
    documented(app)
    app.asgi_handler = with_client_address(observed(app.asgi_handler, service.service), trusted_proxies)
    return app
