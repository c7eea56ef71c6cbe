"""What the credential service knows of training: each person's counted hours per year.

Derived from the training service's public feed (never from its code or database), applied
by the follower in the same transaction as its position.
"""

from __future__ import annotations

from typing import Any

from contracts.events.training import CompletionRecorded, CompletionReversed, TrainingFeedPage
from shared.follower import Follower
from shared.persistence import Cursor, ReadStore
from shared.settings import Settings

DDL = [
    "CREATE TABLE IF NOT EXISTS training_totals ("
    " staff_id TEXT NOT NULL, year INTEGER NOT NULL, skills_hours DOUBLE PRECISION NOT NULL,"
    " ethics_hours DOUBLE PRECISION NOT NULL, source_position BIGINT NOT NULL, PRIMARY KEY (staff_id, year))",
    "CREATE TABLE IF NOT EXISTS training_entries ("
    " completion_id TEXT PRIMARY KEY, staff_id TEXT NOT NULL, year INTEGER NOT NULL, category TEXT NOT NULL,"
    " hours DOUBLE PRECISION NOT NULL, counted BOOLEAN NOT NULL, reversed BOOLEAN NOT NULL,"
    " source_position BIGINT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS training_entries_by_staff ON training_entries (staff_id, year)",
]


def apply(cur: Cursor, event: Any, position: int) -> None:
    """Apply one public training event to the credential service's training tables."""
    match event:
        case CompletionRecorded():
            cur.execute(
                "INSERT INTO training_entries (completion_id, staff_id, year, category, hours, counted, reversed,"
                " source_position) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (event.completion_id, event.staff_id, event.totals.year, event.category, event.hours,
                 event.counted, False, position),
            )
        case CompletionReversed():
            cur.execute(
                "UPDATE training_entries SET reversed = ?, source_position = ? WHERE completion_id = ?",
                (True, position, event.completion_id),
            )
        case _:
            return
    totals = event.totals
    cur.execute(
        "INSERT INTO training_totals (staff_id, year, skills_hours, ethics_hours, source_position)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (staff_id, year) DO UPDATE SET skills_hours = excluded.skills_hours,"
        " ethics_hours = excluded.ethics_hours, source_position = excluded.source_position",
        (event.staff_id, totals.year, totals.skills_hours, totals.ethics_hours, position),
    )


def training_follower(store: ReadStore, settings: Settings) -> Follower:
    """The follower of the training service's feed."""
    with store.transaction(commit=True) as cur:
        for statement in DDL:
            cur.execute(statement)
    return Follower(
        service="credential", name="training", store=store, base_url=settings.url_of("training"), token=settings.feed_key,
        page_type=TrainingFeedPage, apply=apply, interval=settings.follow_interval,
    )
