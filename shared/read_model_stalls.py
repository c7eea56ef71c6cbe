"""Read models stopped at an event they cannot apply ("stalled"), recorded where every replica sees them.

A projection that raises on an event (a bug, or a value an older version let into the log)
must not take the service down. The projector stops that one read model at the event before,
writes a row here in the same transaction as its position, and keeps applying the log to the
other read models. While the row exists the read model is *detached*: it keeps its own
position (``position``: every event up to it is applied), reading it answers 503
``read_model_stalled``, ``/ready`` names it, ``carecred_read_model_stalled`` is 1 and a log
line says where it stopped. ``Projector.resume`` applies the events after ``position`` again
with the code now running (a fixed projection) and deletes the row once it has caught up with
the shared position: from then on it is applied with the others. docs/read-model-stalls.md
is the operator's runbook.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any, Iterable

from shared.errors import ReadModelStalled
from shared.metrics import READ_MODEL_STALLED, READ_MODEL_STALLED_POSITION
from shared.persistence import Cursor

log = logging.getLogger("carecred.projection")

DDL = (
    "CREATE TABLE IF NOT EXISTS read_model_stalls ("
    " read_model TEXT PRIMARY KEY, projector TEXT NOT NULL, position BIGINT NOT NULL,"
    " failed_position BIGINT NOT NULL, aggregate_id TEXT NOT NULL, aggregate_version BIGINT NOT NULL,"
    " topic TEXT NOT NULL, error TEXT NOT NULL, stalled_at TEXT NOT NULL, attempts INTEGER NOT NULL,"
    " last_attempt_at TEXT NOT NULL)"
)
SCHEMAS_DDL = (
    "CREATE TABLE IF NOT EXISTS read_model_schemas (read_model TEXT PRIMARY KEY, schema INTEGER NOT NULL)"
)
"""Which ``Projection.schema`` each read model's tables were made with."""
REBUILD = "(rebuild)"
"""The topic of the stall row of a read model being built from the log (position 0, no failing event)."""
COLUMNS = (
    "read_model, projector, position, failed_position, aggregate_id, aggregate_version, topic, error, stalled_at,"
    " attempts, last_attempt_at"
)
ERROR_CHARS = 2000
"""How much of the error's text is kept (the table is for operators; the full traceback is in the log)."""


@dataclass(frozen=True)
class Stall:
    """Where a read model stopped, and why."""

    read_model: str
    projector: str
    position: int
    """Every event up to this log position is applied to the read model."""
    failed_position: int
    """The log position of the event it could not apply."""
    aggregate_id: str
    aggregate_version: int
    topic: str
    error: str
    """The exception's type and message. Never shown over HTTP: it may quote stored values."""
    stalled_at: str
    attempts: int
    """How many times the failing event was tried (the first time, then each resume)."""
    last_attempt_at: str

    @classmethod
    def of_row(cls, row: Any) -> Stall:
        return cls(**{name: row[name] for name in COLUMNS.replace(" ", "").split(",")})

    @property
    def rebuilding(self) -> bool:
        return self.topic == REBUILD

    def error_to_raise(self) -> ReadModelStalled:
        """The 503 a request reading this read model answers."""
        if self.rebuilding:
            return ReadModelStalled(
                f"the read model {self.read_model} is being built from the log (it is new, or its tables changed"
                f" in this version; {self.position} events in so far): it answers once it has caught up",
                read_model=self.read_model, failed_position=0, topic=self.topic,
            )
        return ReadModelStalled(
            f"the read model {self.read_model} is stalled at the event at log position {self.failed_position}"
            f" ({self.topic}), which it cannot apply; it answers again once an operator has resumed it"
            " (docs/read-model-stalls.md)",
            read_model=self.read_model, failed_position=self.failed_position, topic=self.topic,
        )

    def public(self) -> dict[str, Any]:
        """What ``/ready`` (public, no key) shows: where and since when, not the error text."""
        return {"read_model": self.read_model, "position": self.position, "failed_position": self.failed_position,
                "topic": self.topic, "stalled_at": self.stalled_at, "attempts": self.attempts}


def rebuild(read_model: str, projector: str, was: int | None, schema: int) -> Stall:
    """The stall row that makes ``resume`` build a read model from the first event."""
    at = now_text()
    why = "it is new" if was is None else f"its tables changed (schema {was} -> {schema})"
    return Stall(read_model=read_model, projector=projector, position=0, failed_position=0, aggregate_id="",
                 aggregate_version=0, topic=REBUILD, error=f"rebuilding from the log: {why}", stalled_at=at,
                 attempts=0, last_attempt_at=at)


def table_exists(cur: Cursor, table: str) -> bool:
    if cur.is_postgres:
        statement = "SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ?"
    else:
        statement = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
    return cur.fetchone(statement, (table,)) is not None


def describe(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".strip()
    return text[:ERROR_CHARS]


def now_text() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


def load(cur_or_store: Any, projector: str | None = None) -> dict[str, Stall]:
    """The stalled read models (of one projector, or all), by name."""
    statement = f"SELECT {COLUMNS} FROM read_model_stalls"
    params: tuple[Any, ...] = ()
    if projector is not None:
        statement += " WHERE projector = ?"
        params = (projector,)
    rows = cur_or_store.fetchall(statement, params) if isinstance(cur_or_store, Cursor) else \
        cur_or_store.query(statement, params)
    return {row["read_model"]: Stall.of_row(row) for row in rows}


def record(cur: Cursor, stall: Stall) -> None:
    """Write (or, for a read model that failed again, update) the stall row."""
    cur.execute(
        f"INSERT INTO read_model_stalls ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (read_model) DO UPDATE SET position = excluded.position,"
        " failed_position = excluded.failed_position, aggregate_id = excluded.aggregate_id,"
        " aggregate_version = excluded.aggregate_version, topic = excluded.topic, error = excluded.error,"
        " attempts = read_model_stalls.attempts + 1, last_attempt_at = excluded.last_attempt_at",
        (stall.read_model, stall.projector, stall.position, stall.failed_position, stall.aggregate_id,
         stall.aggregate_version, stall.topic, stall.error, stall.stalled_at, stall.attempts, stall.last_attempt_at),
    )


def announce(service: str, stall: Stall, exc: BaseException | None) -> None:
    """The log line (with the traceback) when a read model stalls or fails again on resume."""
    log.error(
        "read model %s stalled at log position %d (%s, aggregate %s version %d): %s",
        stall.read_model, stall.failed_position, stall.topic, stall.aggregate_id, stall.aggregate_version,
        stall.error, exc_info=exc,
        extra={"service": service, "read_model": stall.read_model, "failed_position": stall.failed_position,
               "topic": stall.topic, "applied_position": stall.position},
    )


def observe(service: str, read_models: Iterable[str], stalls: dict[str, Stall]) -> None:
    """Set the stall gauges of these read models from what the table says now."""
    for name in read_models:
        stall = stalls.get(name)
        READ_MODEL_STALLED.labels(service, name).set(1 if stall else 0)
        READ_MODEL_STALLED_POSITION.labels(service, name).set(stall.failed_position if stall else 0)
