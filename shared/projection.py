"""Read models projected from a service's own event log, exactly once, each failing on its own.

The projector reads new notifications after its tracked position and applies them to the
read-model tables; the new position is written in the same transaction as the tables, so
a crash at any point neither loses nor doubles an event. Several replicas may run it at
once: the position row is compared (and locked on PostgreSQL) before anything is written.

A projection that raises on an event stops only its own read model, at the event before
(see ``shared/read_model_stalls.py``): the batch is tried again one read model and one event
at a time, each in a savepoint, and the one that fails is recorded as stalled while the
others advance. Failures of the database itself (down, busy, locked) stall nothing: the
batch is rolled back and tried again later, as before.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Callable, ClassVar, Iterable, Mapping

from eventsourcing.application import Application
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Notification

from shared import read_model_stalls as stalls
from shared.errors import UntrustedLog
from shared.persistence import Cursor, ReadStore, is_transient
from shared.read_model_stalls import Stall

COPY_FROM = 64
"""A batch of at least this many events writes its read models' buffered rows after the pipeline, where they
go to PostgreSQL by COPY (``Cursor.insert_rows``); a smaller one (a single completion's group) writes them
inside the pipeline with its other statements: one round trip, and one more for each read a flush makes there
(the training ledger asks which keys are counted already)."""

Handler = Callable[[Any, Cursor, Any, int], None]
log = logging.getLogger("carecred.projection")


def handles(*event_classes: type) -> Callable[[Handler], Handler]:
    """Mark a projection method as the handler of the given domain event classes."""

    def mark(fn: Handler) -> Handler:
        fn._handles = event_classes  # type: ignore[attr-defined]
        return fn

    return mark


class Projection:
    """One read model: its tables and the handlers that keep them."""

    name: ClassVar[str]
    """The read model's name: in stall records, ``/ready``, metrics, 503 answers and ``carecred projections``."""
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

    schema: ClassVar[int] = 1
    """Raise it when a release changes the read model's tables in a way ``IF NOT EXISTS`` cannot (a key, a
    column): starting that release drops the tables, creates them anew and rebuilds them from the log
    (the read model answers 503 meanwhile; see ``Projector.create_tables``)."""

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


class Versions(dict[str, int]):
    """Kept read models' versions by name; asking for a stalled one's raises ``ReadModelStalled`` (503)."""

    def __init__(self, found: Mapping[str, int], stalled: Mapping[str, Stall]):
        super().__init__(found)
        self.stalled = dict(stalled)

    def __getitem__(self, name: str) -> int:
        if name in self.stalled:
            raise self.stalled[name].error_to_raise()
        return super().__getitem__(name)

    def get(self, name: str, default: Any = None) -> Any:  # type: ignore[override]
        return self[name] if name in self else default


def read_versions(store: ReadStore, asked: Iterable[tuple[Projector, tuple[str, ...]]]) -> Versions:
    """The versions of several projectors' read models in one round trip (``Projector.versions`` of each, joined).

    Each projector's statement is tagged with its index so their rows ('' for pending, 'stalled') stay apart;
    a projector with an event pending catches up and reads its own versions again, as ``versions`` does.
    """
    asked = [(projector, tuple(names)) for projector, names in asked]
    parts, params = [], []
    for i, (projector, names) in enumerate(asked):
        statement, part_params = projector.versions_statement(names)
        parts.append(f"SELECT '{i}:' || name AS name, position FROM ({statement}) AS v{i}")
        params.extend(part_params)
    rows: list[list[dict[str, Any]]] = [[] for _ in asked]
    for row in store.query(" UNION ALL ".join(parts), params):
        index, _, name = row["name"].partition(":")
        rows[int(index)].append({"name": name, "position": row["position"]})
    found: dict[str, int] = {}
    stalled: dict[str, Stall] = {}
    for (projector, names), its_rows in zip(asked, rows, strict=True):
        versions = projector.versions_from(names, its_rows)
        found.update(versions)
        stalled.update(versions.stalled)
    return Versions(found, stalled)


class _PositionMoved(Exception):
    """Another replica applied the same notifications first."""


class Projector:
    """Keeps a service's read models up to date with its event log."""

    NAME = "read_models"
    BATCH = 500

    def __init__(self, app: Application, store: ReadStore, projections: Iterable[Projection], *,
                 live: bool = True):
        """``live``: the service's own read models, beside its log (False: a replay's, elsewhere; no metrics)."""
        self.app = app
        self.store = store
        self.projections = list(projections)
        self.by_name = {p.name: p for p in self.projections}
        if len(self.by_name) != len(self.projections):
            raise ValueError("two projections share a name")
        self.service = str(getattr(app, "service", "carecred"))
        self.live = live
        self._lock = threading.Lock()
        self._caught_up_to: int | None = None
        """The log position this projector last saw applied: when the log ends there, nothing is new."""
        self._stalled: dict[str, Stall] = {}
        """The stalled read models as last read from the table (empty while none is)."""
        self._versions_statements: dict[tuple[str, ...], tuple[Any, ...]] = {}
        self._quiet: dict[tuple[str, ...], tuple[int, int]] = {}
        """Per set of version names: ``(after, to)``, a range of the log a versions query found free of their events.

        The log is append-only and its positions are visible in commit order, so the range stays free: the next
        query looks for a pending event only after it (while the position has not gone back before it), not
        again from the position, which stays where it is while no event of these read models is recorded."""

    def create_tables(self) -> None:
        """Create what is missing; rebuild from the log a read model whose tables changed or are new.

        A read model whose ``schema`` differs from the one its tables were made with has its tables
        dropped and made anew; it, and a read model added to a log that has been projected already,
        is then recorded as stalled at position 0, and ``resume`` (at start-up, in the background,
        or ``carecred projections resume``) builds it from the first event. Stop the replicas of the
        older version first: they would keep writing the tables in the older way.
        """
        with self.store.transaction(commit=True) as cur:
            cur.execute(
                "CREATE TABLE IF NOT EXISTS projection_position ("
                "name TEXT PRIMARY KEY, position BIGINT NOT NULL)"
            )
            cur.execute(stalls.DDL)
            cur.execute(stalls.SCHEMAS_DDL)
            for name in [self.NAME, *self._versioned()]:
                cur.execute(
                    "INSERT INTO projection_position (name, position) VALUES (?, 0) ON CONFLICT (name) DO NOTHING",
                    (name,),
                )
            projected = int(cur.fetchone("SELECT position FROM projection_position WHERE name = ?",
                                         (self.NAME,))["position"]) > 0
            made = {r["read_model"]: int(r["schema"]) for r in cur.fetchall("SELECT read_model, schema FROM read_model_schemas")}
            rebuilds = []
            for projection in self.projections:
                was = made.get(projection.name)
                if was is None and projection.tables and stalls.table_exists(cur, projection.tables[0]):
                    was = 1  # made before schemas were recorded
                if was is not None and was != projection.schema:
                    for table in projection.tables:
                        cur.execute(f"DROP TABLE IF EXISTS {table}")
                if projection.from_own_events and projected and was != projection.schema:
                    rebuilds.append((projection, was))
                for statement in projection.ddl:
                    cur.execute(statement)
                if made.get(projection.name) != projection.schema:  # written only when it changes
                    cur.execute("INSERT INTO read_model_schemas (read_model, schema) VALUES (?, ?)"
                                " ON CONFLICT (read_model) DO UPDATE SET schema = excluded.schema",
                                (projection.name, projection.schema))
            for projection, was in rebuilds:
                stalls.record(cur, stalls.rebuild(projection.name, self.NAME, was, projection.schema))
                if projection.version_name:
                    cur.execute("UPDATE projection_position SET position = 0 WHERE name = ?",
                                (f"version:{projection.version_name}",))
        for projection, was in rebuilds:
            log.warning("read model %s is rebuilt from the log: %s", projection.name,
                        "it is new" if was is None else f"its tables changed (schema {was} -> {projection.schema})")
        self._refresh_stalls()

    def _versioned(self) -> dict[str, Projection]:
        """The projections that keep a version, by the row name of their version."""
        return {f"version:{p.version_name}": p for p in self.projections if p.version_name}

    def version_names(self) -> list[str]:
        """The names of the read models that keep a version (see ``Projection.version_name``)."""
        return [p.version_name for p in self.projections if p.version_name]

    # Reading -------------------------------------------------------------------------------------

    def versions(self, *names: str) -> Versions:
        """The current version of each named read model (see ``Projection.version_name``).

        One query reads the versions, whether any event recorded but not yet applied would
        change these read models, and whether any of them is stalled. Usually none would, and
        the versions are current; otherwise it catches up and reads them again. The version of a
        stalled read model raises ``ReadModelStalled`` when asked for (``Versions``), so a request
        that needs only the others is still answered.
        """
        statement, params = self.versions_statement(names)
        return self.versions_from(names, self.store.query(statement, params))

    def versions_statement(self, names: tuple[str, ...]) -> tuple[str, list[Any]]:
        """The one query ``versions`` runs for these names (``read_versions`` joins several projectors' into one)."""
        _, _, first, first_params, _, _ = self._versions_sql(names)
        return first, first_params(*self._quiet.get(names, (0, 0)))

    def versions_from(self, names: tuple[str, ...], rows: Iterable[Mapping[str, Any]]) -> Versions:
        """The versions from the rows of ``versions_statement`` (catching up first when an event is pending)."""
        rows_of, models, _, _, again, again_params = self._versions_sql(names)
        found = {r["name"]: int(r["position"]) for r in rows}
        if not found[""] and "head" in found:  # none pending after the position up to the head it read
            self._quiet[names] = (found["from"], found["head"])
        if found[""]:
            self.catch_up()
            found = {r["name"]: int(r["position"]) for r in self.store.query(again, again_params)}
        if found["stalled"] or self._stalled:
            self._refresh_stalls()
        stalled_now = {name: self._stalled[model] for name, model in zip(names, models) if model in self._stalled}
        return Versions({name: found[row] for name, row in zip(names, rows_of, strict=True)}, stalled_now)

    def _versions_sql(self, names: tuple[str, ...]) -> tuple[Any, ...]:
        """The statements ``versions`` runs for these names, made once per set of names (they never change)."""
        made = self._versions_statements.get(names)
        if made is not None:
            return made
        rows = [f"version:{name}" for name in names]
        versioned = self._versioned()
        topics = sorted({cls.TOPIC for row in rows for cls in versioned[row]._handlers})
        models = [versioned[row].name for row in rows]
        versions = f"SELECT name, position FROM projection_position WHERE name IN ({', '.join('?' * len(rows))})"
        stalled = (f" UNION ALL SELECT 'stalled', COUNT(*) FROM read_model_stalls"
                   f" WHERE read_model IN ({', '.join('?' * len(models))})")
        pending, params = self._pending(topics)

        def first_params(after: int, to: int) -> list[Any]:
            return [*rows, *params(after, to), *models]

        made = (rows, models, f"{versions} UNION ALL {pending}{stalled}", first_params,
                f"{versions}{stalled}", [*rows, *models])
        self._versions_statements[names] = made
        return made

    def _pending(self, topics: list[str]) -> tuple[str, Callable[[int, int], list[Any]]]:
        """SQL giving a row ('', 1) if an event of one of the topics is recorded but not yet applied, else ('', 0),
        with the position it looked after ('from') and the log's head it saw ('head'), in the same snapshot; and
        its parameters for a range ``(after, to]`` known free of these events (``_quiet``): the search starts
        after ``to`` when the position is at or after ``after`` (not from the position: a read model whose
        events are rare would have every request walk the log since the last of them)."""
        if not topics:
            return "SELECT '', 0", lambda after, to: []
        table = self.app.recorder.events_table_name  # type: ignore[attr-defined]
        of_topics = f"topic IN ({', '.join('?' * len(topics))})"
        if self.store.is_postgres:  # LATERAL lets the planner walk the notification index from the position
            return (
                f"SELECT '', COUNT(*) FROM projection_position p, LATERAL (SELECT 1 FROM {table} e"
                " WHERE e.notification_id > CASE WHEN p.position >= ? THEN GREATEST(p.position, ?) ELSE p.position END"
                f" AND e.{of_topics} ORDER BY e.notification_id LIMIT 1) AS x WHERE p.name = ?"
                " UNION ALL SELECT 'from', position FROM projection_position WHERE name = ?"
                f" UNION ALL SELECT 'head', COALESCE(MAX(notification_id), 0) FROM {table}"
            ), lambda after, to: [after, to, *topics, self.NAME, self.NAME]
        return (
            f"SELECT '', COUNT(*) FROM (SELECT 1 FROM {table} WHERE rowid > (SELECT CASE WHEN position >= ?"
            f" THEN MAX(position, ?) ELSE position END FROM projection_position WHERE name = ?) AND {of_topics} LIMIT 1)"
            " UNION ALL SELECT 'from', position FROM projection_position WHERE name = ?"
            f" UNION ALL SELECT 'head', COALESCE(MAX(rowid), 0) FROM {table}"
        ), lambda after, to: [after, to, self.NAME, *topics, self.NAME]

    def position(self) -> int:
        """The shared position: every event up to it is applied to every read model not stalled."""
        row = self.store.query_one("SELECT position FROM projection_position WHERE name = ?", (self.NAME,))
        return int(row["position"]) if row else 0

    def applied_position(self, name: str) -> int:
        """Every event up to this position is applied to the named read model (stalled or not)."""
        self._check_names([name])
        row = self.store.query_one("SELECT position FROM read_model_stalls WHERE read_model = ?", (name,))
        return int(row["position"]) if row is not None else self.position()

    def stalled(self) -> dict[str, Stall]:
        """The stalled read models of this projector, as the table says now."""
        return self._refresh_stalls()

    def _refresh_stalls(self) -> dict[str, Stall]:
        found = stalls.load(self.store, self.NAME)
        self._stalled = found
        if self.live:
            stalls.observe(self.service, self.by_name, found)
        return found

    def _check_names(self, names: Iterable[str]) -> None:
        unknown = [n for n in names if n not in self.by_name]
        if unknown:
            raise ValueError(f"no read model {', '.join(unknown)} in projector {self.NAME}")

    def _head(self) -> tuple[int, int]:
        """The log's last position and how many of this projector's read models are stalled, in one query."""
        if not self.live:  # a replay's tables are not beside the log
            return self.app.recorder.max_notification_id() or 0, 1  # type: ignore[attr-defined]
        table = self.app.recorder.events_table_name  # type: ignore[attr-defined]
        column = "notification_id" if self.store.is_postgres else "rowid"
        row = self.store.query_one(
            f"SELECT (SELECT MAX({column}) FROM {table}) AS head,"
            " (SELECT COUNT(*) FROM read_model_stalls WHERE projector = ?) AS stalled",
            (self.NAME,),
        )
        return int(row["head"] or 0), int(row["stalled"])

    # Applying ------------------------------------------------------------------------------------

    def catch_up(self, *reading: str, on_progress: Callable[[int, int], None] | None = None) -> int:
        """Apply every notification recorded before this call and not yet applied; return the shared position.

        ``reading``: the read models the caller is about to read; if one of them is stalled this
        raises ``ReadModelStalled`` (503) instead of letting it answer from stale rows. A failing
        projection never makes this raise otherwise: its read model stalls and the rest go on.
        ``on_progress(position, events)`` is called after each batch (used by replay).
        """
        self._check_names(reading)
        latest, stalled = self._head()
        position = self._apply_up_to(latest, on_progress)
        if stalled or self._stalled:
            self._refresh_stalls()
        for name in reading:
            if name in self._stalled:
                raise self._stalled[name].error_to_raise()
        return position

    def catch_up_past(self, recorded: int) -> int:
        """Apply every notification up to at least position ``recorded`` and whatever else is recorded by then.

        For a writer that has just stored events up to ``recorded`` (the group-commit writer): it knows
        there is something to apply, so the log's head is not read first (one round trip fewer than
        ``catch_up``). Stalls recorded by this projector are seen at once (``_apply_isolated``); one
        recorded by another replica is seen by the next ``catch_up`` or ``versions``, which read them.
        """
        position = self._apply_up_to(recorded, None)
        if self._stalled:
            self._refresh_stalls()
        return position

    def catch_up_to(self, last: int) -> int:
        """Apply the log up to and including position ``last``, and nothing after it (a replay of a log prefix)."""
        with self._lock:
            position = self.position()
            while position < last:
                notifications = self.app.recorder.select_notifications(  # type: ignore[attr-defined]
                    start=position, limit=self.BATCH, stop=last, inclusive_of_start=False
                )
                if not notifications:
                    break
                self._apply(position, notifications)
                position = notifications[-1].id
            self._caught_up_to = position
            return position

    def _apply_up_to(self, latest: int, on_progress: Callable[[int, int], None] | None) -> int:
        seen = self._caught_up_to
        if seen is not None and latest == seen:
            return seen  # the usual case of a read after nothing new
        with self._lock:
            seen = self._caught_up_to
            if seen is not None and seen >= latest:
                return seen  # a concurrent catch-up (the writer's, usually) applied them while we waited
            hint = self._caught_up_to  # where this projector left off; _apply checks it under the row lock
            while True:
                position = hint if hint is not None else self.position()
                hint = None
                notifications = self.app.recorder.select_notifications(  # type: ignore[attr-defined]
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
        """Apply a batch to every read model not stalled: together, or (when one fails) one by one."""
        try:
            self._apply_together(position, notifications)
            return
        except (_PositionMoved, UntrustedLog):
            raise  # an event not written by the service, or moved: nothing passes it (shared.errors.UntrustedLog)
        except Exception as exc:
            if is_transient(exc):
                raise
        self._apply_isolated(position, notifications)  # outside the handler: its errors are not "during" that one

    def _apply_together(self, position: int, notifications: list[Any]) -> None:
        """The usual case: one transaction, every attached read model, no savepoints."""
        with self.store.transaction(commit=True) as cur:
            attached = self._lock_position(cur, position)
            versioned = [p for p in attached if p.version_name]
            changed: dict[str, int] = {}
            for projection in self.projections:
                projection.check(cur, notifications)
            copied = len(notifications) >= COPY_FROM
            with cur.sent_together():  # the batch's writes in one round trip (PostgreSQL)
                for notification in notifications:
                    event = self.app.mapper.to_domain_event(notification)
                    for projection in attached:
                        projection.record(cur, notification, event)
                    for projection in versioned:
                        if projection.changes_on(event):
                            changed[projection.version_name] = notification.id  # type: ignore[index]
                if not copied:
                    self._flush(cur, attached, notifications[-1].id, changed)
            if copied:  # a large batch's buffered rows after the pipeline, where they go by COPY
                self._flush(cur, attached, notifications[-1].id, changed)

    def _flush(self, cur: Cursor, attached: list[Projection], last: int, changed: dict[str, int]) -> None:
        """Write what the read models buffered for the batch, then move the position past it."""
        for projection in attached:
            projection.flush(cur)
        self._advance(cur, last, changed)

    def _apply_isolated(self, position: int, notifications: list[Any]) -> None:
        """One read model and one event at a time, each in a savepoint: the failing read model stalls alone."""
        failures: list[tuple[Stall, BaseException]] = []
        halt: UntrustedLog | None = None
        with self.store.transaction(commit=True) as cur:
            attached = self._lock_position(cur, position)
            for projection in self.projections:
                projection.check(cur, notifications)
            events = [self._decoded(n) for n in notifications]
            untrusted = next((i for i, e in enumerate(events) if isinstance(e, UntrustedLog)), None)
            if untrusted == 0:
                raise events[0]
            if untrusted is not None:  # apply what comes before it; nothing passes it
                halt = events[untrusted]
                notifications, events = notifications[:untrusted], events[:untrusted]
            changed: dict[str, int] = {}
            for projection in attached:
                _, failure = self._apply_one_by_one(cur, projection, position, notifications, events, changed)
                if failure is not None:
                    failures.append(failure)
            cur.memo = {}
            for stall, _ in failures:
                stalls.record(cur, stall)
            self._advance(cur, notifications[-1].id, changed)
        for stall, exc in failures:
            stalls.announce(self.service, stall, exc)
        self._refresh_stalls()
        if halt is not None:
            raise halt

    def _apply_one_by_one(
        self, cur: Cursor, projection: Projection, position: int, notifications: list[Any], events: list[Any],
        changed: dict[str, int],
    ) -> tuple[int, tuple[Stall, BaseException] | None]:
        """Apply the events to one read model until one fails; (last applied position, the failure or None)."""
        cur.memo = {}  # nothing buffered by another read model, or by a rolled-back attempt, is written
        applied = position
        for notification, event in zip(notifications, events, strict=True):
            cur.savepoint()
            try:
                if isinstance(event, BaseException):
                    raise event
                projection.record(cur, notification, event)
                projection.flush(cur)
            except Exception as exc:
                if is_transient(exc):
                    raise
                cur.rollback_to_savepoint()
                return applied, (self._stall(projection, applied, notification, exc), exc)
            cur.release_savepoint()
            applied = notification.id
            if projection.version_name and projection.changes_on(event):
                changed[projection.version_name] = notification.id
        return applied, None

    def _decoded(self, notification: Notification) -> Any:
        """The domain event, or the exception decoding it raised (every read model fails on that event)."""
        try:
            return self.app.mapper.to_domain_event(notification)
        except Exception as exc:  # noqa: BLE001 - recorded as each read model's failure
            return exc

    def _stall(self, projection: Projection, applied: int, notification: Notification, exc: BaseException) -> Stall:
        at = stalls.now_text()
        return Stall(
            read_model=projection.name, projector=self.NAME, position=applied, failed_position=notification.id,
            aggregate_id=str(notification.originator_id), aggregate_version=notification.originator_version,
            topic=notification.topic, error=stalls.describe(exc), stalled_at=at, attempts=1, last_attempt_at=at,
        )

    def _lock_position(self, cur: Cursor, position: int) -> list[Projection]:
        """Lock the shared position (PostgreSQL) and check it; the read models not stalled."""
        lock = " FOR UPDATE OF p" if self.store.is_postgres else ""
        rows = cur.fetchall(
            "SELECT p.position, s.read_model FROM projection_position p"
            f" LEFT JOIN read_model_stalls s ON s.projector = p.name WHERE p.name = ?{lock}",
            (self.NAME,),
        )
        if int(rows[0]["position"]) != position:
            raise _PositionMoved
        detached = {r["read_model"] for r in rows if r["read_model"] is not None}
        return [p for p in self.projections if p.name not in detached]

    def _advance(self, cur: Cursor, position: int, changed: dict[str, int]) -> None:
        cur.executemany(
            "UPDATE projection_position SET position = ? WHERE name = ?",
            [(position, self.NAME), *((at, f"version:{name}") for name, at in changed.items())],
        )

    # Resuming a stalled read model ----------------------------------------------------------------

    def resume(self, name: str, on_progress: Callable[[int, int], None] | None = None) -> Stall | None:
        """Apply a stalled read model's events again, from where it stopped, with the code running now.

        Returns None once it has caught up with the shared position and been attached again (or
        was not stalled), else its stall as it stands now (it failed again: same event, or a later
        one). Each batch is one transaction that holds the shared position's row lock, so the
        read model's events are applied exactly once even while replicas go on projecting.
        """
        self._check_names([name])
        projection = self.by_name[name]
        try:
            while True:
                with self._lock:
                    outcome, batch = self._resume_batch(projection)
                if outcome != "progress":
                    break
                if on_progress is not None and batch:
                    on_progress(batch[-1], len(batch))
        finally:
            self._refresh_stalls()
        if outcome == "attached":
            log.warning("read model %s resumed: it has caught up and is applied with the others again", name,
                        extra={"service": self.service, "read_model": name})
            return None
        return self._stalled.get(name)

    def resume_all(self) -> dict[str, Stall]:
        """Resume every stalled read model of this projector; the ones still stalled afterwards."""
        for name in list(self._refresh_stalls()):
            try:
                self.resume(name)
            except Exception:  # noqa: BLE001 - the database is away: a later resume tries again
                log.exception("resuming read model %s failed", name)
        return self._stalled

    def _resume_batch(self, projection: Projection) -> tuple[str, list[int]]:
        """One batch of a stalled read model: ("attached" | "progress" | "stalled", positions applied)."""
        shared = self.position()
        row = self.store.query_one(f"SELECT {stalls.COLUMNS} FROM read_model_stalls WHERE read_model = ?",
                                   (projection.name,))
        if row is None:
            return "attached", []
        start = int(row["position"])
        notifications = list(self.app.recorder.select_notifications(  # type: ignore[attr-defined]
            start=start, limit=self.BATCH, stop=shared, inclusive_of_start=False,
        )) if start < shared else []
        events = [self._decoded(n) for n in notifications]
        failure: tuple[Stall, BaseException] | None = None
        with self.store.transaction(commit=True) as cur:
            lock = " FOR UPDATE" if self.store.is_postgres else ""
            locked = cur.fetchone(f"SELECT position FROM projection_position WHERE name = ?{lock}", (self.NAME,))
            now = cur.fetchone("SELECT position FROM read_model_stalls WHERE read_model = ?", (projection.name,))
            if now is None:
                return "attached", []
            if int(now["position"]) != start:
                return "progress", []  # another replica resumed it meanwhile: look again
            changed: dict[str, int] = {}
            applied, failure = self._apply_batch_to(cur, projection, start, notifications, events, changed)
            cur.memo = {}
            rejoins = failure is None and len(notifications) < self.BATCH and int(locked["position"]) == shared
            if failure is not None:
                stalls.record(cur, failure[0])
            elif rejoins:
                cur.execute("DELETE FROM read_model_stalls WHERE read_model = ?", (projection.name,))
            else:
                cur.execute("UPDATE read_model_stalls SET position = ? WHERE read_model = ?", (applied, projection.name))
            cur.executemany("UPDATE projection_position SET position = ? WHERE name = ?",
                            [(at, f"version:{name}") for name, at in changed.items()])
        if failure is not None:
            stalls.announce(self.service, failure[0], failure[1])
            return "stalled", []
        return ("attached" if rejoins else "progress"), [n.id for n in notifications]

    def _apply_batch_to(
        self, cur: Cursor, projection: Projection, position: int, notifications: list[Any], events: list[Any],
        changed: dict[str, int],
    ) -> tuple[int, tuple[Stall, BaseException] | None]:
        """A batch to one read model: all at once in a savepoint, or one by one when that fails."""
        if not notifications:
            return position, None
        cur.memo = {}
        cur.savepoint()
        try:
            for notification, event in zip(notifications, events, strict=True):
                if isinstance(event, BaseException):
                    raise event
                projection.record(cur, notification, event)
            projection.flush(cur)
        except Exception as exc:
            if is_transient(exc):
                raise
            failed = True
        else:
            failed = False
        if failed:
            cur.rollback_to_savepoint()
            return self._apply_one_by_one(cur, projection, position, notifications, events, changed)
        cur.release_savepoint()
        if projection.version_name:
            for notification, event in zip(notifications, events, strict=True):
                if projection.changes_on(event):
                    changed[projection.version_name] = notification.id
        return notifications[-1].id, None
