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

    version_name: ClassVar[str | None] = None
    """Set to keep this read model's version: the log position of the last event that changed it.

    ``Projector.versions(name)`` reads it in the same query as the log's head, so a process can
    keep the read model's rows in memory and reload them only when the version moves (see
    ``shared/cache.py``), without missing a change made through another replica. The version
    moves on the events of the ``@handles`` methods, so such a projection handles nothing otherwise.
    """

    def changes_on(self, event: DomainEventProtocol[Any]) -> bool:
        """True when this event changes the read model (it has a handler for it)."""
        return type(event) in self._handlers

    def check(self, cur: Cursor, notifications: list[Notification]) -> None:
        """Called once per batch before any event of it is applied: raise to refuse the batch (the audit does)."""

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
            for name in [self.NAME, *self._versioned()]:
                cur.execute(
                    "INSERT INTO projection_position (name, position) VALUES (?, 0) ON CONFLICT (name) DO NOTHING",
                    (name,),
                )
            for projection in self.projections:
                for statement in projection.ddl:
                    cur.execute(statement)

    def _versioned(self) -> dict[str, Projection]:
        """The projections that keep a version, by the row name of their version."""
        return {f"version:{p.version_name}": p for p in self.projections if p.version_name}

    def version_names(self) -> list[str]:
        """The names of the read models that keep a version (see ``Projection.version_name``)."""
        return [p.version_name for p in self.projections if p.version_name]

    def versions(self, *names: str) -> dict[str, int]:
        """The current version of each named read model (see ``Projection.version_name``).

        One query reads the versions and whether any event recorded but not yet applied would
        change these read models. Usually none would, and the versions are current; otherwise it
        catches up and reads them again.
        """
        rows = [f"version:{name}" for name in names]
        versioned = self._versioned()
        topics = sorted({cls.TOPIC for row in rows for cls in versioned[row]._handlers})
        versions = f"SELECT name, position FROM projection_position WHERE name IN ({', '.join('?' * len(rows))})"
        pending, params = self._pending(topics)
        found = {r["name"]: int(r["position"]) for r in self.store.query(f"{versions} UNION ALL {pending}", [*rows, *params])}
        if found[""]:
            self.catch_up()
            found = {r["name"]: int(r["position"]) for r in self.store.query(versions, rows)}
        return {name: found[row] for name, row in zip(names, rows, strict=True)}

    def _pending(self, topics: list[str]) -> tuple[str, list[Any]]:
        """SQL giving a row ('', 1) if an event of one of the topics is recorded but not yet applied, else ('', 0)."""
        if not topics:
            return "SELECT '', 0", []
        table = self.app.recorder.events_table_name  # type: ignore[attr-defined]
        of_topics = f"topic IN ({', '.join('?' * len(topics))})"
        if self.store.is_postgres:  # LATERAL lets the planner walk the notification index from the position
            return (
                f"SELECT '', COUNT(*) FROM projection_position p, LATERAL (SELECT 1 FROM {table} e"
                f" WHERE e.notification_id > p.position AND e.{of_topics} ORDER BY e.notification_id LIMIT 1) AS x"
                " WHERE p.name = ?"
            ), [*topics, self.NAME]
        return (
            f"SELECT '', COUNT(*) FROM (SELECT 1 FROM {table}"
            f" WHERE rowid > (SELECT position FROM projection_position WHERE name = ?) AND {of_topics} LIMIT 1)"
        ), [self.NAME, *topics]

    def position(self) -> int:
        row = self.store.query_one("SELECT position FROM projection_position WHERE name = ?", (self.NAME,))
        return int(row["position"]) if row else 0

    def catch_up(self, on_progress: Callable[[int, int], None] | None = None) -> int:
        """Apply every notification recorded before this call and not yet applied; return the new position.

        ``on_progress(position, events)`` is called after each batch (used by replay).
        """
        seen = self._caught_up_to
        latest = self.app.recorder.max_notification_id() or 0
        if seen is not None and latest == seen:
            return seen  # one query, no lock: the usual case of a read after nothing new
        with self._lock:
            seen = self._caught_up_to
            if seen is not None and seen >= latest:
                return seen  # a concurrent catch-up (the writer's, usually) applied them while we waited
            hint = self._caught_up_to  # where this projector left off; _apply checks it under the row lock
            while True:
                position = hint if hint is not None else self.position()
                hint = None
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
                if notifications[-1].id >= latest:
                    self._caught_up_to = notifications[-1].id
                    return notifications[-1].id  # everything recorded before this call is applied
                hint = notifications[-1].id

    def _apply(self, position: int, notifications: list[Any]) -> None:
        lock = " FOR UPDATE" if self.store.is_postgres else ""
        with self.store.transaction(commit=True) as cur:
            row = cur.fetchone(f"SELECT position FROM projection_position WHERE name = ?{lock}", (self.NAME,))
            if int(row["position"]) != position:
                raise _PositionMoved
            versioned = self._versioned()
            changed: dict[str, int] = {}
            for projection in self.projections:
                projection.check(cur, notifications)
            for notification in notifications:
                event = self.app.mapper.to_domain_event(notification)
                for projection in self.projections:
                    projection.record(cur, notification, event)
                for name, projection in versioned.items():
                    if projection.changes_on(event):
                        changed[name] = notification.id
            for projection in self.projections:
                projection.flush(cur)
            cur.executemany(
                "UPDATE projection_position SET position = ? WHERE name = ?",
                [(notifications[-1].id, self.NAME), *((position, name) for name, position in changed.items())],
            )
