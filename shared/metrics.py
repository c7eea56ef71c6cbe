"""Prometheus metrics: requests (kept by ``shared.http.observability.observed``) and the domain's."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

_REQUEST_LABELS = ["method", "path", "status_code", "app_name"]
"""``path`` is the route's template (``/v1/staff/{staff_id:uuid}``), or ``(unmatched)``; ``app_name`` the service."""
REQUESTS = Counter("carecred_requests_total", "HTTP requests answered, by route and status", _REQUEST_LABELS)
REQUEST_SECONDS = Histogram(
    "carecred_request_duration_seconds", "Time to answer an HTTP request, by route and status", _REQUEST_LABELS
)
EVENTS_WRITTEN = Counter(
    "carecred_events_written_total", "Domain events recorded in the event store", ["service"]
)
FOLLOWER_LAG = Gauge(
    "carecred_follower_lag_events", "How many feed positions this service is behind the other one", ["service", "source"]
)
FOLLOWER_UP = Gauge(
    "carecred_follower_up", "1 when the last poll of the other service's feed succeeded", ["service", "source"]
)
AUTH_FAILURES = Counter(
    "carecred_auth_failures_total", "Requests refused for a missing, unknown, revoked or expired key", ["service"]
)
EVENTS_REFUSED = Counter(
    "carecred_events_refused_total",
    "Attempts to load, project or publish a stored event that is not authenticated (not written by this service)",
    ["service"],
)
RECORDED_TIME_BACKWARDS = Counter(
    "carecred_recorded_time_backwards_total",
    "Events applied whose recorded time is earlier than an event before them in the log, beyond the tolerance",
    ["service"],
)
READ_MODEL_STALLED = Gauge(
    "carecred_read_model_stalled", "1 while the read model is stalled at an event it cannot apply", ["service", "read_model"]
)
READ_MODEL_STALLED_POSITION = Gauge(
    "carecred_read_model_stalled_position",
    "The log position of the event a stalled read model cannot apply (0 when it is not stalled)", ["service", "read_model"],
)
