"""Queries as the credential service had recorded things at an instant (recorded time, not business time).

Auditors ask "what did the roster say at 10:00 on 3 March?": the certificate facts, the
assignments and the training totals are read from the history kept beside each read model,
by index, without replaying the log.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Iterable

from shared.errors import NotFound
from shared.persistence import query_in

ASSIGNMENT = "a.assignment_id, a.staff_id, a.nursery_id, a.role, a.start_on, a.end_on, a.end_reason, a.policy_version"
ACTIVE = "a.start_on <= ? AND (a.end_on IS NULL OR a.end_on >= ?)"


def stamp(as_of: dt.datetime | None) -> str | None:
    """The instant in the form the read models record times (UTC ISO 8601)."""
    if as_of is None:
        return None
    if as_of.tzinfo is None:
        as_of = as_of.replace(tzinfo=dt.UTC)
    return as_of.astimezone(dt.UTC).isoformat()


def assignment_columns(as_of: str | None) -> tuple[str, list[str]]:
    """The assignment columns, with an end recorded after ``as_of`` not yet known."""
    if as_of is None:
        return ASSIGNMENT, []
    return (
        "a.assignment_id, a.staff_id, a.nursery_id, a.role, a.start_on,"
        " CASE WHEN a.ended_at <= ? THEN a.end_on END AS end_on,"
        " CASE WHEN a.ended_at <= ? THEN a.end_reason END AS end_reason, a.policy_version",
        [as_of, as_of],
    )


def active_on(day: str, as_of: str | None) -> tuple[str, list[str]]:
    """Assignments active on ``day``, among those recorded by ``as_of``."""
    if as_of is None:
        return ACTIVE, [day, day]
    return (
        "a.made_at <= ? AND a.start_on <= ? AND (a.end_on IS NULL OR a.end_on >= ? OR a.ended_at > ?)",
        [as_of, day, day, as_of],
    )


def recorded_by(as_of: str | None) -> tuple[str, list[str]]:
    """Assignments recorded by ``as_of`` (all of them when asking about now)."""
    return ("", []) if as_of is None else (" AND a.made_at <= ?", [as_of])


_AS_RECORDED = (
    "SELECT c.certificate_id, c.cert_type, c.number, c.issuing_body, c.holder_id, c.issued_on, h.status,"
    " h.facts FROM certificate_facts_history h JOIN certificates c ON c.certificate_id = h.certificate_id"
    " WHERE {holders} AND h.recorded_at <= ? ORDER BY h.position"
)


def certificates_as_recorded(store: Any, staff_ids: Iterable[str], as_of: str) -> dict[str, list[Any]]:
    """Each person's certificate rows as they stood at ``as_of`` (the last recorded change of each)."""
    ids = sorted(set(staff_ids))
    rows = query_in(store.query, _AS_RECORDED.format(holders="h.holder_id IN ({marks})"), ids, after=[as_of])
    return _latest(rows, ids)


def certificates_as_recorded_between(store: Any, after: str, last: str, staff_ids: Iterable[str],
                                     as_of: str) -> dict[str, list[Any]]:
    """``certificates_as_recorded`` for ``staff_ids``, all of them ids in ``(after, last]``, by one key-range query."""
    rows = store.query(_AS_RECORDED.format(holders="h.holder_id > ? AND h.holder_id <= ?"), [after, last, as_of])
    return _latest(rows, sorted(set(staff_ids)))


def _latest(rows: Iterable[Any], ids: list[str]) -> dict[str, list[Any]]:
    held: dict[str, dict[str, Any]] = {i: {} for i in ids}
    for row in rows:
        if (by_id := held.get(row["holder_id"])) is not None:
            by_id[row["certificate_id"]] = row  # later changes replace earlier ones
    return {sid: list(by_id.values()) for sid, by_id in held.items()}


def policy_version_as_recorded(store: Any, as_of: str) -> int:
    """The policy version in force at ``as_of`` (the first, if none was adopted yet)."""
    row = store.query_one(
        "SELECT version FROM policy_versions WHERE adopted_at <= ? ORDER BY version DESC LIMIT 1", (as_of,)
    ) or store.query_one("SELECT MIN(version) AS version FROM policy_versions")
    if row is None or row["version"] is None:
        raise NotFound("nothing was recorded at that instant")
    return int(row["version"])
