"""Putting people's year totals on the feed again when what they owe changed without a completion.

Two causes (``domain/restatement.py``): the registrar adopts training rules that apply this year
(``RulesBook.adopt`` restates everyone with an assignment in the year or a completion in it), and
the registry follower learns an assignment that starts or ends (it queues the person in
``requirement_changes`` in the same transaction as its position; ``publish_pending`` runs after
each page it applies and restates the queued people's current year). Each restatement is an
event; the feed maps it to ``totals.restated.v1`` with the totals as they stand at its position.
"""

from __future__ import annotations

import logging
from typing import Any, Iterable

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from services.training.domain.restatement import YearRestatement, restatement_id_for
from shared.application import ServiceApplication
from shared.district import today

log = logging.getLogger(__name__)
BATCH = 500
"""People restated per transaction."""
FOLLOWER_ACTOR = {"key_id": "registry-follower", "role": "service", "scope": None}


class Restatements:
    """Restate people's year totals on the feed."""

    def __init__(self, records: ServiceApplication):
        self.records = records

    def restate(self, staff_ids: Iterable[str], year: int, reason: str, actor: dict[str, Any]) -> int:
        """One restatement event per person (in batches); how many were recorded."""
        ids = sorted(set(staff_ids))
        recorded = 0
        for start in range(0, len(ids), BATCH):
            batch = [self._next(staff_id, year, reason, actor) for staff_id in ids[start:start + BATCH]]
            try:
                self.records.save_and_project(*batch)
                recorded += len(batch)
            except IntegrityError:  # another replica restated some of them meanwhile: one by one
                for staff_id in ids[start:start + BATCH]:
                    try:
                        self.records.save_and_project(self._next(staff_id, year, reason, actor))
                        recorded += 1
                    except IntegrityError:
                        log.info("restatement of %s %d raced another; its event stands", staff_id, year)
        return recorded

    def _next(self, staff_id: str, year: int, reason: str, actor: dict[str, Any]) -> YearRestatement:
        try:
            restatement: YearRestatement = self.records.repository.get(restatement_id_for(staff_id, year))
        except AggregateNotFoundError:  # this person's year is restated for the first time
            return YearRestatement(staff_id=staff_id, year=year, reason=reason, actor=actor)
        restatement.restate(reason=reason, actor=actor)
        return restatement

    def people_in_year(self, year: int) -> list[str]:
        """Everyone who owes training in ``year``: an assignment overlapping it or a completion in it."""
        rows = self.records.store.query(
            "SELECT staff_id FROM person_assignments WHERE starts_on <= ? AND (ends_on IS NULL OR ends_on >= ?)"
            " UNION SELECT staff_id FROM completions WHERE year = ?",
            (f"{year}-12-31", f"{year}-01-01", year))
        return [r["staff_id"] for r in rows]

    def publish_pending(self) -> int:
        """Restate the people whose assignments the follower learned of since the last pass (current year)."""
        rows = self.records.store.query("SELECT staff_id, learned_at FROM requirement_changes ORDER BY staff_id")
        if not rows:
            return 0
        recorded = self.restate([r["staff_id"] for r in rows], today().year, "assignment_changed", FOLLOWER_ACTOR)
        with self.records.store.transaction(commit=True) as cur:
            for r in rows:  # a change learned again meanwhile stays queued
                cur.execute("DELETE FROM requirement_changes WHERE staff_id = ? AND learned_at = ?",
                            (r["staff_id"], r["learned_at"]))
        return recorded
