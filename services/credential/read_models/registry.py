"""Read models of the credential service, kept by the projector from the event log."""

from __future__ import annotations

from typing import Any

from services.credential.domain.nursery import Nursery
from services.credential.domain.staff import Staff
from shared.persistence import Cursor
from shared.projection import Projection, handles


class RegistryProjection(Projection):
    """Nurseries, staff, and which nurseries may see which staff."""

    name = "registry"

    ddl = [
        "CREATE TABLE IF NOT EXISTS nurseries ("
        " nursery_id TEXT PRIMARY KEY, name TEXT NOT NULL, town TEXT NOT NULL, ownership TEXT NOT NULL,"
        " inclusive BOOLEAN NOT NULL, kind TEXT NOT NULL, registered_at TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS staff ("
        " staff_id TEXT PRIMARY KEY, name TEXT NOT NULL, id_masked TEXT NOT NULL, id_hash TEXT NOT NULL UNIQUE,"
        " registered_by TEXT, registered_at TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS staff_nursery ("
        " staff_id TEXT NOT NULL, nursery_id TEXT NOT NULL, via TEXT NOT NULL,"
        " PRIMARY KEY (staff_id, nursery_id, via))",
        "CREATE INDEX IF NOT EXISTS staff_nursery_by_nursery ON staff_nursery (nursery_id, staff_id)",
    ]
    tables = ["nurseries", "staff", "staff_nursery"]

    @handles(Nursery.Registered)
    def nursery_registered(self, cur: Cursor, e: Any, position: int) -> None:
        cur.execute(
            "INSERT INTO nurseries (nursery_id, name, town, ownership, inclusive, kind, registered_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (str(e.originator_id), e.name, e.town, e.ownership, e.inclusive, e.kind, e.timestamp.isoformat()),
        )

    @handles(Nursery.DetailsChanged)
    def nursery_details_changed(self, cur: Cursor, e: Any, position: int) -> None:
        """The table keeps the last recorded details (``nursery_states`` keeps them by effective date)."""
        cur.execute(
            "UPDATE nurseries SET name = ?, ownership = ?, inclusive = ?, kind = ? WHERE nursery_id = ?",
            (e.name, e.ownership, e.inclusive, e.kind, str(e.originator_id)),
        )

    @handles(Staff.Registered)
    def staff_registered(self, cur: Cursor, e: Any, position: int) -> None:
        staff_id = str(e.originator_id)
        cur.execute(
            "INSERT INTO staff (staff_id, name, id_masked, id_hash, registered_by, registered_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (staff_id, e.name, e.id_masked, e.id_hash, e.registered_by, e.timestamp.isoformat()),
        )
        if e.registered_by:
            cur.execute(
                "INSERT INTO staff_nursery (staff_id, nursery_id, via) VALUES (?, ?, 'registered')",
                (staff_id, e.registered_by),
            )
