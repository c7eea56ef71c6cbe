"""Each nursery's life as rows: its state after every change, with the date it took effect and when recorded.

The nursery on date D, as recorded at instant T, is its last row with ``effective_on <= D``
and ``recorded_at <= T`` (effective dates never go back, see ``domain/nursery.py``).
"""

from __future__ import annotations

from typing import Any

from services.credential.domain.nursery import Nursery, registered_on
from shared.persistence import Cursor
from shared.projection import Projection, handles

STATE_COLUMNS = ("nursery_id, version, position, change, effective_on, recorded_at, name, town, kind, ownership,"
                 " inclusive, capacity, status")


class NurseryLifecycleProjection(Projection):
    """``nursery_states``: one row per change of a nursery, the whole state after it."""

    name = "nursery_lifecycle"
    ddl = [
        "CREATE TABLE IF NOT EXISTS nursery_states ("
        " nursery_id TEXT NOT NULL, version INTEGER NOT NULL, position BIGINT NOT NULL, change TEXT NOT NULL,"
        " effective_on TEXT NOT NULL, recorded_at TEXT NOT NULL, name TEXT NOT NULL, town TEXT NOT NULL,"
        " kind TEXT NOT NULL, ownership TEXT NOT NULL, inclusive BOOLEAN NOT NULL, capacity INTEGER,"
        " status TEXT NOT NULL, PRIMARY KEY (nursery_id, version))",
        "CREATE INDEX IF NOT EXISTS nursery_states_by_date ON nursery_states (effective_on, nursery_id)",
    ]
    tables = ["nursery_states"]
    bookkeeping_columns = ("position",)

    def _write(self, cur: Cursor, e: Any, position: int, change: str, **state: Any) -> None:
        cur.execute(
            f"INSERT INTO nursery_states ({STATE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (nursery_id, version) DO NOTHING",
            (str(e.originator_id), e.originator_version, position, change, state["effective_on"],
             e.timestamp.isoformat(), state["name"], state["town"], state["kind"], state["ownership"],
             bool(state["inclusive"]), state["capacity"], state["status"]),
        )

    def _after(self, cur: Cursor, e: Any, position: int, change: str, **changed: Any) -> None:
        last = cur.fetchone(
            f"SELECT {STATE_COLUMNS} FROM nursery_states WHERE nursery_id = ? ORDER BY version DESC LIMIT 1",
            (str(e.originator_id),),
        )
        state = {k: last[k] for k in ("name", "town", "kind", "ownership", "inclusive", "capacity", "status")} if last is not None else {  # a change of a nursery never registered: kept, marked
            "name": "", "town": "", "kind": "nursery", "ownership": "private", "inclusive": False, "capacity": None,
            "status": "open",
        }
        state.update(changed)
        self._write(cur, e, position, change, **state)

    @handles(Nursery.Registered)
    def registered(self, cur: Cursor, e: Any, position: int) -> None:
        self._write(cur, e, position, "registered", effective_on=registered_on(e.timestamp), name=e.name,
                    town=e.town, kind=e.kind, ownership=e.ownership, inclusive=e.inclusive, capacity=None,
                    status="open")

    @handles(Nursery.Opened)
    def opened(self, cur: Cursor, e: Any, position: int) -> None:
        self._after(cur, e, position, "opened", effective_on=e.effective_on, capacity=e.capacity)

    @handles(Nursery.DetailsChanged)
    def details_changed(self, cur: Cursor, e: Any, position: int) -> None:
        self._after(cur, e, position, "details_changed", effective_on=e.effective_on, name=e.name, kind=e.kind,
                    ownership=e.ownership, inclusive=e.inclusive, capacity=e.capacity)

    @handles(Nursery.Suspended)
    def suspended(self, cur: Cursor, e: Any, position: int) -> None:
        self._after(cur, e, position, "suspended", effective_on=e.effective_on, status="suspended")

    @handles(Nursery.Reopened)
    def reopened(self, cur: Cursor, e: Any, position: int) -> None:
        self._after(cur, e, position, "reopened", effective_on=e.effective_on, status="open")

    @handles(Nursery.Closed)
    def closed(self, cur: Cursor, e: Any, position: int) -> None:
        self._after(cur, e, position, "closed", effective_on=e.effective_on, status="closed")


def states_on(store: Any, day: str, as_of: str | None = None) -> list[Any]:
    """Every nursery as it stood on ``day`` (those opened by then), as recorded at ``as_of`` (now if None)."""
    recorded, params = ("", []) if as_of is None else (" AND recorded_at <= ?", [as_of])
    return store.query(
        f"SELECT {STATE_COLUMNS} FROM nursery_states s WHERE s.version = ("
        f" SELECT MAX(version) FROM nursery_states l WHERE l.nursery_id = s.nursery_id AND l.effective_on <= ?{recorded})"
        " AND EXISTS (SELECT 1 FROM nursery_states o WHERE o.nursery_id = s.nursery_id AND o.change IN ('registered', 'opened')"
        " AND o.effective_on <= ? AND o.version = (SELECT MAX(version) FROM nursery_states x WHERE x.nursery_id = s.nursery_id"
        f" AND x.change IN ('registered', 'opened'){recorded.replace('recorded_at', 'x.recorded_at')}))"
        " ORDER BY s.town, s.name, s.nursery_id",
        (day, *params, day, *params),
    )
