"""Publishing a service's public events as a feed, in commit order, from a position.

The position of an item is the notification id of the stored event it was mapped from. The
event store assigns those ids in commit order (SQLite has one writer; on PostgreSQL the
library locks the table for inserts — which is why DB-functions mode stays off), so a
follower that asks "after N" never misses an event committed later with a smaller id.
"""

from __future__ import annotations

from typing import Any, Callable

from eventsourcing.application import Application

from contracts.events.feed import FeedItem, FeedPage

Mapper = Callable[[Any, int], Any]
"""Maps a stored domain event (at its position) to its public contract event, or None if private."""


class Publisher:
    """Reads the event log after a position and maps each event to its public form."""

    SCAN_LIMIT = 5000
    """At most this many stored events are read per page, public or not."""

    def __init__(self, app: Application, mapper: Mapper, reads: tuple[str, ...] = ()):
        """``reads``: the read models the mapper reads (a page never goes past what they have applied)."""
        self.app = app
        self.mapper = mapper
        self.reads = reads

    def head(self) -> int:
        return self.app.recorder.max_notification_id() or 0  # type: ignore[attr-defined]

    def page(self, after: int, limit: int) -> FeedPage[Any]:
        """Public events after ``after``, up to the last position the mapper's read models have applied.

        A stalled read model holds the feed back at the event before the one it failed on (the
        follower sees its lag grow, never an event mapped from incomplete rows); so does a read
        model not yet caught up with an event recorded since (a concurrent write).
        """
        projector = self.app.projector  # type: ignore[attr-defined]
        projector.catch_up()
        head = self.head()
        stop = min([head, *(projector.applied_position(name) for name in self.reads)])
        items: list[FeedItem[Any]] = []
        position, scanned = after, 0
        while len(items) < limit and position < stop and scanned < self.SCAN_LIMIT:
            batch = min(max(limit - len(items), 100), self.SCAN_LIMIT - scanned)
            notifications = self.app.recorder.select_notifications(  # type: ignore[attr-defined]
                start=position, limit=batch, stop=stop, inclusive_of_start=False
            )
            if not notifications:
                break
            for notification in notifications:
                scanned += 1
                position = notification.id
                event = self.app.mapper.to_domain_event(notification)
                public = self.mapper(event, notification.id)
                if public is not None:
                    items.append(FeedItem(position=notification.id, recorded_at=event.timestamp, event=public))
                    if len(items) == limit:
                        break
        return FeedPage(items=items, next_after=position, head=head)
