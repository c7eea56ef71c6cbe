"""Read model of transfer requests: who asked for whom, which nurseries must agree, the answer.

An approved transfer also makes the person visible to the asking nursery's HR (``staff_nursery``,
via ``transfer``); nothing else about the person is visible to it before.
"""

from __future__ import annotations

from typing import Any

from services.credential.domain.transfer import Transfer
from shared.persistence import Cursor
from shared.projection import Projection, handles


class TransferProjection(Projection):
    """Transfers and the nurseries whose agreement each one needs."""

    name = "transfers"

    ddl = [
        "CREATE TABLE IF NOT EXISTS transfers ("
        " transfer_id TEXT PRIMARY KEY, staff_id TEXT NOT NULL, nursery_id TEXT NOT NULL, start_on TEXT NOT NULL,"
        " note TEXT NOT NULL, status TEXT NOT NULL, requested_at TEXT NOT NULL, decided_at TEXT, decided_by TEXT,"
        " reason TEXT)",
        "CREATE INDEX IF NOT EXISTS transfers_by_person ON transfers (staff_id, nursery_id, status)",
        "CREATE INDEX IF NOT EXISTS transfers_by_nursery ON transfers (nursery_id, transfer_id)",
        "CREATE TABLE IF NOT EXISTS transfer_parties ("
        " transfer_id TEXT NOT NULL, nursery_id TEXT NOT NULL, consented BOOLEAN NOT NULL,"
        " PRIMARY KEY (transfer_id, nursery_id))",
        "CREATE INDEX IF NOT EXISTS transfer_parties_by_nursery ON transfer_parties (nursery_id, transfer_id)",
    ]
    tables = ["transfers", "transfer_parties"]

    @handles(Transfer.Requested)
    def requested(self, cur: Cursor, e: Any, position: int) -> None:
        transfer_id = str(e.originator_id)
        cur.execute(
            "INSERT INTO transfers (transfer_id, staff_id, nursery_id, start_on, note, status, requested_at)"
            " VALUES (?, ?, ?, ?, ?, 'pending', ?)",
            (transfer_id, e.staff_id, e.nursery_id, e.start_on, e.note, e.timestamp.isoformat()),
        )
        cur.executemany(
            "INSERT INTO transfer_parties (transfer_id, nursery_id, consented) VALUES (?, ?, ?)",
            [(transfer_id, nursery_id, False) for nursery_id in e.current_nursery_ids],
        )

    @handles(Transfer.Consented)
    def consented(self, cur: Cursor, e: Any, position: int) -> None:
        if e.by_nursery is not None:
            cur.execute("UPDATE transfer_parties SET consented = ? WHERE transfer_id = ? AND nursery_id = ?",
                        (True, str(e.originator_id), e.by_nursery))

    @handles(Transfer.Approved)
    def approved(self, cur: Cursor, e: Any, position: int) -> None:
        transfer_id = str(e.originator_id)
        self._close(cur, e, "approved", "registrar" if e.by_registrar else "current_nursery", None)
        row = cur.fetchone("SELECT staff_id, nursery_id FROM transfers WHERE transfer_id = ?", (transfer_id,))
        cur.execute(
            "INSERT INTO staff_nursery (staff_id, nursery_id, via) VALUES (?, ?, 'transfer') ON CONFLICT DO NOTHING",
            (row["staff_id"], row["nursery_id"]),
        )

    @handles(Transfer.Refused)
    def refused(self, cur: Cursor, e: Any, position: int) -> None:
        self._close(cur, e, "refused", "registrar" if e.by_nursery is None else "current_nursery", e.reason)

    @handles(Transfer.Withdrawn)
    def withdrawn(self, cur: Cursor, e: Any, position: int) -> None:
        self._close(cur, e, "withdrawn", "registrar" if e.by_nursery is None else "requesting_nursery", e.reason)

    @staticmethod
    def _close(cur: Cursor, e: Any, status: str, decided_by: str, reason: str | None) -> None:
        cur.execute(
            "UPDATE transfers SET status = ?, decided_at = ?, decided_by = ?, reason = ? WHERE transfer_id = ?",
            (status, e.timestamp.isoformat(), decided_by, reason, str(e.originator_id)),
        )
