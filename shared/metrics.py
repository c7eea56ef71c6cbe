"""Prometheus metrics of the domain (request metrics come from Litestar's Prometheus plugin)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

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
READ_MODEL_STALLED = Gauge(
    "carecred_read_model_stalled", "1 while the read model is stalled at an event it cannot apply", ["service", "read_model"]
)
READ_MODEL_STALLED_POSITION = Gauge(
    "carecred_read_model_stalled_position",
    "The log position of the event a stalled read model cannot apply (0 when it is not stalled)", ["service", "read_model"],
)
