"""What the credential service knows of training: each person's counted hours per year.

Derived from the training service's public feed (never from its code or database), applied
by the follower in the same transaction as its position.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Iterable

from contracts.credentials import TrainingStatus
from contracts.events.training import (
    AssessmentRecorded, CompletionRecorded, CompletionReversed, TotalsRestated, TrainingFeedPage,
)
from shared.follower import Follower
from shared.persistence import Cursor, ReadStore, query_in
from shared.settings import Settings

DDL = [
    "CREATE TABLE IF NOT EXISTS training_totals ("
    " staff_id TEXT NOT NULL, year INTEGER NOT NULL, skills_hours DOUBLE PRECISION NOT NULL,"
    " ethics_hours DOUBLE PRECISION NOT NULL, skills_required DOUBLE PRECISION NOT NULL,"
    " ethics_required DOUBLE PRECISION NOT NULL, source_position BIGINT NOT NULL, updated_at TEXT NOT NULL,"
    " PRIMARY KEY (staff_id, year))",
    "CREATE TABLE IF NOT EXISTS training_entries ("
    " completion_id TEXT PRIMARY KEY, staff_id TEXT NOT NULL, year INTEGER NOT NULL, category TEXT NOT NULL,"
    " hours DOUBLE PRECISION NOT NULL, counted BOOLEAN NOT NULL, reversed BOOLEAN NOT NULL,"
    " source_position BIGINT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS training_entries_by_staff ON training_entries (staff_id, year)",
    "CREATE INDEX IF NOT EXISTS training_totals_by_year ON training_totals (year, source_position)",
    # The totals after every change, with the time this service recorded them ("as recorded at").
    "CREATE TABLE IF NOT EXISTS training_totals_history ("
    " staff_id TEXT NOT NULL, year INTEGER NOT NULL, source_position BIGINT NOT NULL, skills_hours DOUBLE PRECISION"
    " NOT NULL, ethics_hours DOUBLE PRECISION NOT NULL, skills_required DOUBLE PRECISION NOT NULL,"
    " ethics_required DOUBLE PRECISION NOT NULL, updated_at TEXT NOT NULL,"
    " PRIMARY KEY (staff_id, year, source_position))",
    # Assessment results (职业技能鉴定) as published: a pass may issue or upgrade a certificate
    # (application/assessment_certificates.py). Added with policy v2's assessment hook.
    "CREATE TABLE IF NOT EXISTS training_assessments ("
    " assessment_id TEXT PRIMARY KEY, staff_id TEXT NOT NULL, provider_id TEXT NOT NULL,"
    " certificate_type TEXT NOT NULL, level INTEGER NOT NULL, passed BOOLEAN NOT NULL, assessed_on TEXT NOT NULL,"
    " source_position BIGINT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS training_assessments_by_passed ON training_assessments (passed, assessed_on)",
]


def apply(cur: Cursor, event: Any, position: int) -> None:
    """Apply one public training event to the credential service's training tables."""
    match event:
        case CompletionRecorded():
            cur.execute(  # idempotent, so the follower can re-read its feed from the start
                "INSERT INTO training_entries (completion_id, staff_id, year, category, hours, counted, reversed,"
                " source_position) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (completion_id) DO NOTHING",
                (event.completion_id, event.staff_id, event.totals.year, event.category, event.hours,
                 event.counted, False, position),
            )
        case CompletionReversed():
            cur.execute(
                "UPDATE training_entries SET reversed = ?, source_position = ? WHERE completion_id = ?",
                (True, position, event.completion_id),
            )
        case AssessmentRecorded():
            cur.execute(  # results are never changed on the feed: a re-read keeps the first
                "INSERT INTO training_assessments (assessment_id, staff_id, provider_id, certificate_type, level,"
                " passed, assessed_on, source_position) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (assessment_id) DO NOTHING",
                (event.assessment_id, event.staff_id, event.provider_id, event.certificate_type, event.level,
                 event.passed, event.assessed_on.isoformat(), position),
            )
            return
        case TotalsRestated():
            pass  # the hours required changed without a completion: the totals below, as for one
        case _:
            return
    t = event.totals
    row = (event.staff_id, t.year, t.skills_hours, t.ethics_hours, t.skills_required, t.ethics_required, position,
           dt.datetime.now(dt.UTC).isoformat())
    cur.execute(
        "INSERT INTO training_totals (staff_id, year, skills_hours, ethics_hours, skills_required, ethics_required,"
        " source_position, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (staff_id, year) DO UPDATE SET"
        " skills_hours = excluded.skills_hours, ethics_hours = excluded.ethics_hours,"
        " skills_required = excluded.skills_required, ethics_required = excluded.ethics_required,"
        " source_position = excluded.source_position, updated_at = excluded.updated_at",
        row,
    )
    cur.execute(
        "INSERT INTO training_totals_history (staff_id, year, skills_hours, ethics_hours, skills_required,"
        " ethics_required, source_position, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (staff_id, year, source_position) DO NOTHING",
        row,
    )


def training_follower(store: ReadStore, settings: Settings) -> Follower:
    """The follower of the training service's feed (its tables are made with the follower's, by ``create_tables``)."""
    return Follower(
        service="credential", name="training", store=store, base_url=settings.url_of("training"),
        token=settings.feed_key, page_type=TrainingFeedPage, apply=apply, interval=settings.follow_interval, ddl=DDL,
    )


def training_of(store: ReadStore, staff_ids: Iterable[str], year: int,
                as_of: str | None = None) -> dict[str, TrainingStatus | None]:
    """Each person's training status for the year, now or as recorded at ``as_of``.

    Before a person's first completion of the year: zero hours against the requirement the
    training service published last; None while it has published none (this service does not
    restate the training rule).
    """
    ids = sorted(set(staff_ids))
    table, recorded, params = _source(as_of)
    rows = query_in(store.query, f"SELECT * FROM {table} WHERE year = ? AND staff_id IN ({{marks}}){recorded}", ids,
                    before=[year], after=params)
    return statuses(store, rows, ids, year, as_of)


def training_between(store: ReadStore, after: str, last: str, staff_ids: Iterable[str], year: int,
                     as_of: str | None = None, *, known: dict[str, Any] | None = None) -> dict[str, TrainingStatus | None]:
    """``training_of`` for ``staff_ids``, all of them ids in ``(after, last]``: one short query by key range
    (the district report reads its people a range at a time; rows of others in the range are left out).
    ``known`` keeps the published requirement from one range to the next (one report's reads)."""
    table, recorded, params = _source(as_of)
    rows = store.query(f"SELECT * FROM {table} WHERE year = ? AND staff_id > ? AND staff_id <= ?{recorded}",
                       [year, after, last, *params])
    return statuses(store, rows, sorted(set(staff_ids)), year, as_of, known)


def _source(as_of: str | None) -> tuple[str, str, list[str]]:
    """The table to read totals from, and the condition for "as recorded at ``as_of``" (rows in position order)."""
    if as_of is None:
        return "training_totals", "", []
    return "training_totals_history", " AND updated_at <= ? ORDER BY source_position", [as_of]


def statuses(store: ReadStore, rows: Iterable[Any], ids: list[str], year: int, as_of: str | None,
             known: dict[str, Any] | None = None) -> dict[str, TrainingStatus | None]:
    """The statuses of ``ids`` from their totals rows (history rows in position order: the last one stands)."""
    wanted = set(ids)
    found: dict[str, Any] = {}
    for row in rows:
        if row["staff_id"] in wanted:
            found[row["staff_id"]] = row
    if len(found) < len(ids):
        known = {} if known is None else known
        if "requirement" not in known:
            known["requirement"] = published_requirement(store, year, as_of)
        if (requirement := known["requirement"]) is None:
            return {sid: status_of(found[sid], year) if sid in found else None for sid in ids}
        found = {sid: found.get(sid) or {**requirement, "skills_hours": 0.0, "ethics_hours": 0.0, "updated_at": None}
                 for sid in ids}
    return {sid: status_of(found[sid], year) for sid in ids}


def published_requirement(store: ReadStore, year: int, as_of: str | None = None) -> dict[str, float] | None:
    """The hours required in ``year`` as the training service last published them (with someone's totals):
    of that year, else of the nearest year before it, else after it; None before it published any."""
    table, recorded, params = ("training_totals", "", []) if as_of is None else \
        ("training_totals_history", " AND updated_at <= ?", [as_of])
    for where, order in (("year <= ?", "DESC"), ("year > ?", "ASC")):
        row = store.query_one(
            f"SELECT skills_required, ethics_required FROM {table} WHERE {where}{recorded}"
            f" ORDER BY year {order}, source_position DESC LIMIT 1", [year, *params])
        if row is not None:
            return {"skills_required": float(row["skills_required"]), "ethics_required": float(row["ethics_required"])}
    return None


def status_of(row: Any, year: int) -> TrainingStatus:
    """A year's hours against the requirement (a row of ``training_totals``, or zero hours and the requirement)."""
    skills, ethics = float(row["skills_hours"]), float(row["ethics_hours"])
    skills_required, ethics_required = float(row["skills_required"]), float(row["ethics_required"])
    return TrainingStatus(
        year=year, skills_hours=skills, ethics_hours=ethics,
        skills_required=skills_required, ethics_required=ethics_required,
        skills_shortfall=max(skills_required - skills, 0.0), ethics_shortfall=max(ethics_required - ethics, 0.0),
        complete=skills >= skills_required and ethics >= ethics_required,
        updated_at=row["updated_at"],
    )
