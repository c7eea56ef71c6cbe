"""Read models projected from a service's own event log, exactly once.

The projector reads new notifications after its tracked position and applies them to the
read-model tables; the new position is written in the same transaction as the tables, so
a crash at any point neither loses nor doubles an event. Several replicas may run it at
once: the position row is compared (and locked on PostgreSQL) before anything is written.
"""

from __future__ import annotations

import threading
from typing import Any, Callable, ClassVar, Iterable

from eventsourcing.application import Application
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Notification

from shared.persistence import Cursor, ReadStore

Handler = Callable[[Any, Cursor, Any, int], None]


def handles(*event_classes: type) -> Callable[[Handler], Handler]:
    """Mark a projection method as the handler of the given domain event classes."""

    def mark(fn: Handler) -> Handler:
        fn._handles = event_classes  # type: ignore[attr-defined]
        return fn

    return mark


class Projection:
    """One read model: its tables and the handlers that keep them."""

    ddl: ClassVar[list[str]] = []
    tables: ClassVar[list[str]] = []
    _handlers: ClassVar[dict[type, Handler]]

    def __init_subclass__(cls) -> None:
        super().__init_subclass__()
        cls._handlers = {}
        for klass in reversed(cls.__mro__):
            for attr in vars(klass).values():
                for event_class in getattr(attr, "_handles", ()):
                    cls._handlers[event_class] = attr

    from_own_events: ClassVar[bool] = True
    """False for tables written from another service's feed: a replay cannot rebuild them, nor compares them."""

    bookkeeping_columns: ClassVar[tuple[str, ...]] = ()
    """Columns a replay does not compare (positions and the like); ``position`` never is."""

    def record(self, cur: Cursor, notification: Notification, event: DomainEventProtocol[Any]) -> None:
        """Apply one stored event; override to see the stored bytes as well (the audit log does)."""
        self.apply(cur, event, notification.id)

    def flush(self, cur: Cursor) -> None:
        """Called once per batch, before the position is written: write rows buffered in ``cur.memo``."""

    def apply(self, cur: Cursor, event: DomainEventProtocol[Any], position: int) -> None:
        handler = self._handlers.get(type(event))
        if handler is not None:
            handler(self, cur, event, position)


class _PositionMoved(Exception):
    """Another replica applied the same notifications first."""


class Projector:
    """Keeps a service's read models up to date with its event log."""

    NAME = "read_models"
    BATCH = 500

    def __init__(self, app: Application, store: ReadStore, projections: Iterable[Projection]):
        self.app = app
        self.store = store
        self.projections = list(projections)
        self._lock = threading.Lock()
        self._caught_up_to: int | None = None
        """The log position this projector last saw applied: when the log ends there, nothing is new."""

    def create_tables(self) -> None:
        with self.store.transaction(commit=True) as cur:
            cur.execute(
                "CREATE TABLE IF NOT EXISTS projection_position ("
                "name TEXT PRIMARY KEY, position BIGINT NOT NULL)"
            )
            cur.execute(
                "INSERT INTO projection_position (name, position) VALUES (?, 0) "
                "ON CONFLICT (name) DO NOTHING",
                (self.NAME,),
            )
            for projection in self.projections:
                for statement in projection.ddl:
                    cur.execute(statement)

    def position(self) -> int:
        row = self.store.query_one("SELECT position FROM projection_position WHERE name = ?", (self.NAME,))
        return int(row["position"]) if row else 0

    def catch_up(self, on_progress: Callable[[int, int], None] | None = None) -> int:
        """Apply every notification not yet applied; return the new position.

        ``on_progress(position, events)`` is called after each batch (used by replay).
        """
        seen = self._caught_up_to
        if seen is not None and (self.app.recorder.max_notification_id() or 0) == seen:
            return seen  # one query, no lock: the usual case of a read after nothing new
        with self._lock:
            while True:
                position = self.position()
                notifications = self.app.recorder.select_notifications(
                    start=position, limit=self.BATCH, inclusive_of_start=False
                )
                if not notifications:
                    self._caught_up_to = position
                    return position
                try:
                    self._apply(position, notifications)
                except _PositionMoved:
                    continue
                if on_progress is not None:
                    on_progress(notifications[-1].id, len(notifications))

    def _apply(self, position: int, notifications: list[Any]) -> None:
        lock = " FOR UPDATE" if self.store.is_postgres else ""
        with self.store.transaction(commit=True) as cur:
            row = cur.fetchone(f"SELECT position FROM projection_position WHERE name = ?{lock}", (self.NAME,))
            if int(row["position"]) != position:
                raise _PositionMoved
            for notification in notifications:
                event = self.app.mapper.to_domain_event(notification)
                for projection in self.projections:
                    projection.record(cur, notification, event)
            for projection in self.projections:
                projection.flush(cur)
            cur.execute(
                "UPDATE projection_position SET position = ? WHERE name = ?",
                (notifications[-1].id, self.NAME),
            )
