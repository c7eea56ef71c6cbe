"""On-site visits (实地巡查): opened by an inspector at a nursery, badges scanned during them, then closed."""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import Aggregate, event

VISIT_KINDS = ("routine", "random", "reinspection")


class Visit(Aggregate):
    """One inspector's visit to one nursery; each scan is recorded once, by the device's scan id."""

    TOPIC = "carecred.credential:Visit"

    class Event(Aggregate.Event):
        TOPIC = "carecred.credential:Visit.Event"
        actor: dict[str, Any]

    class Opened(Event, Aggregate.Created):
        TOPIC = "carecred.credential:Visit.Opened.v1"
        inspector_id: str
        nursery_id: str
        kind: str
        draw_month: str | None
        finding_ids: list[str]

    class Scanned(Event):
        """A badge scanned on site: the server's verdict as at the device's scan time, and the device's own."""

        TOPIC = "carecred.credential:Visit.Scanned.v1"
        client_scan_id: str
        scanned_at: str
        badge_id: str | None
        staff_id: str | None
        verdict: str
        holder_check: str
        status_stale: bool
        device_verdict: str | None

    class Closed(Event):
        TOPIC = "carecred.credential:Visit.Closed.v1"
        note: str

    @event(Opened)
    def __init__(self, inspector_id: str, nursery_id: str, kind: str, draw_month: str | None, finding_ids: list[str],
                 actor: dict[str, Any]):
        self.inspector_id = inspector_id
        self.nursery_id = nursery_id
        self.kind = kind
        self.draw_month = draw_month
        self.finding_ids = list(finding_ids)
        self.scan_ids: list[str] = []
        self.closed = False

    @event(Scanned)
    def scan(self, client_scan_id: str, scanned_at: str, badge_id: str | None, staff_id: str | None, verdict: str,
             holder_check: str, status_stale: bool, device_verdict: str | None, actor: dict[str, Any]) -> None:
        self.scan_ids = [*self.scan_ids, client_scan_id]

    @event(Closed)
    def close(self, note: str, actor: dict[str, Any]) -> None:
        self.closed = True
