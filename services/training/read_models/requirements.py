"""A person's training requirement for a year, read from the rules and assignments kept here.

Used by the ledger queries and the public feed alike. ``known_by`` bounds what is used to
what this service had recorded by then (a sortable UTC stamp): rules adopted and assignments
learned before it. The feed passes the stored event's own time, so a position's totals are
the same whenever they are read; "as on D" passes the end of D.
"""

from __future__ import annotations

import datetime as dt
import json

from services.training.domain.rules import Requirement, Rules, Span, requirement, rules_for_year
from shared.persistence import ReadStore

FAR_FUTURE = "9999-12-31T23:59:59.999999Z"


def adopted_rules(store: ReadStore, known_by: str = FAR_FUTURE) -> list[Rules]:
    """Every rules version adopted before ``known_by``."""
    rows = store.query(
        "SELECT version, applies_from_year, rules, pro_rata FROM training_rules WHERE adopted_at < ? ORDER BY version",
        (known_by,),
    )
    result = []
    for r in rows:
        body = json.loads(r["rules"])
        result.append(Rules(version=r["version"], applies_from_year=r["applies_from_year"], default=body["default"],
                            roles=body["roles"], pro_rata=bool(r["pro_rata"])))
    return result


def assignments_of(store: ReadStore, staff_id: str, known_by: str = FAR_FUTURE) -> list[Span]:
    """A person's assignments as learned from the registry before ``known_by``."""
    rows = store.query(
        "SELECT role, starts_on, ends_on, end_learned_at FROM person_assignments"
        " WHERE staff_id = ? AND learned_at < ? ORDER BY starts_on, assignment_id",
        (staff_id, known_by),
    )
    return [
        Span(r["role"], dt.date.fromisoformat(r["starts_on"]),
             dt.date.fromisoformat(r["ends_on"]) if r["ends_on"] and r["end_learned_at"] < known_by else None)
        for r in rows
    ]


def person_requirement(store: ReadStore, staff_id: str, year: int, known_by: str = FAR_FUTURE) -> Requirement:
    """What ``staff_id`` owes in ``year`` under the rules of that year, as known by ``known_by``."""
    rules = rules_for_year(adopted_rules(store, known_by), year)
    return requirement(rules, assignments_of(store, staff_id, known_by), year)
