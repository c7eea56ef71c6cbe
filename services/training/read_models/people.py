"""Knowing people: who is registered, as learned from the credential service's public feed.

The training service never reads the credential service's database nor imports its code.
The registry follower (``registry_follower.py``) calls ``record_person`` / ``forget_person`` with the cursor of
the transaction in which it records its feed position, so the two never drift apart.
"""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any, Iterable, Sequence

from shared import idnumber
from shared.persistence import Cursor, ReadStore, query_in


def record_person(cur: Cursor, *, staff_id: str, id_hash: str, name: str, nursery_ids: Iterable[str],
                  learned_at: str) -> None:
    """Learn (or re-learn) a registered person, in the transaction of ``cur``."""
    cur.execute(
        "INSERT INTO people (staff_id, id_hash, name, learned_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (staff_id) DO UPDATE SET id_hash = excluded.id_hash, name = excluded.name,"
        " learned_at = excluded.learned_at",
        (staff_id, id_hash, name, learned_at),
    )
    cur.execute("DELETE FROM person_nurseries WHERE staff_id = ?", (staff_id,))
    cur.executemany(
        "INSERT INTO person_nurseries (staff_id, nursery_id) VALUES (?, ?)",
        [(staff_id, n) for n in sorted(set(nursery_ids))],
    )


class People:
    """The people read model: record, forget, resolve a staff id or ID number."""

    def __init__(self, store: ReadStore, id_hash_key: bytes):
        self.store = store
        self.id_hash_key = id_hash_key

    def record_person(
        self, *, staff_id: str, id_hash: str, name: str, nursery_ids: Iterable[str], learned_at: str,
        cur: Cursor | None = None,
    ) -> None:
        """Learn (or re-learn) a registered person; pass ``cur`` to write inside the caller's transaction."""
        with self._people_transaction(cur) as c:
            record_person(c, staff_id=staff_id, id_hash=id_hash, name=name, nursery_ids=nursery_ids, learned_at=learned_at)

    def forget_person(self, staff_id: str, *, cur: Cursor | None = None) -> None:
        """Forget a person (new completions for them are refused; recorded ones stay in the ledger)."""
        with self._people_transaction(cur) as c:
            c.execute("DELETE FROM person_nurseries WHERE staff_id = ?", (staff_id,))
            c.execute("DELETE FROM people WHERE staff_id = ?", (staff_id,))

    def _people_transaction(self, cur: Cursor | None) -> Any:
        return nullcontext(cur) if cur is not None else self.store.transaction(commit=True)

    def person_nurseries(self, staff_id: str) -> set[str] | None:
        """The nurseries of a known person; None for an unknown one."""
        if self.store.query_one("SELECT 1 AS known FROM people WHERE staff_id = ?", (staff_id,)) is None:
            return None
        rows = self.store.query("SELECT nursery_id FROM person_nurseries WHERE staff_id = ?", (staff_id,))
        return {r["nursery_id"] for r in rows}

    def id_hash_of(self, id_number: str) -> str:
        """The keyed hash of an ID number (422 on field ``id_number`` if it is not valid)."""
        return idnumber.keyed_hash(idnumber.canonical(id_number), self.id_hash_key)

    def known_staff_ids(self, staff_ids: Sequence[str]) -> set[str]:
        """Which of these staff ids are known (one query per chunk)."""
        return {r["staff_id"] for r in query_in(self.store.query, "SELECT staff_id FROM people WHERE staff_id IN ({marks})",
                                                staff_ids)}

    def staff_ids_by_hash(self, id_hashes: Sequence[str]) -> dict[str, str]:
        """Staff ids of known people by the keyed hash of their ID number."""
        rows = query_in(self.store.query, "SELECT staff_id, id_hash FROM people WHERE id_hash IN ({marks})", id_hashes)
        return {r["id_hash"]: r["staff_id"] for r in rows}
