"""Knowing people: the training service follows the credential service's public feed.

Each event is applied with the follower's position in one transaction (see shared.follower),
through the people read model's entry points in ``people.py``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from contracts.events.credential import AssignmentEnded, CredentialFeedPage, StaffAssigned, StaffRegistered
from services.training.domain.year import utc_stamp
from services.training.read_models.people import record_person
from shared.follower import Follower
from shared.persistence import Cursor, ReadStore
from shared.settings import Settings


def apply(cur: Cursor, event: Any, position: int) -> None:
    """Apply one public credential event to the training service's people tables; the inspection events
    (draws, inspectors, visits, scans, findings: for auditors) decode and are passed over."""
    match event:
        case StaffRegistered():
            record_person(
                cur, staff_id=event.staff_id, id_hash=event.id_hash, name="",
                nursery_ids=[event.registered_by] if event.registered_by else [],
                learned_at=dt.datetime.now(dt.UTC).isoformat(),
            )
        case StaffAssigned():
            cur.execute(
                "INSERT INTO person_nurseries (staff_id, nursery_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
                (event.staff_id, event.nursery_id),
            )
            cur.execute(  # the role and first day, for pro-rating the year's requirement
                "INSERT INTO person_assignments (assignment_id, staff_id, nursery_id, role, starts_on, learned_at)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (assignment_id) DO NOTHING",
                (event.assignment_id, event.staff_id, event.nursery_id, event.role, event.starts_on.isoformat(),
                 utc_stamp(dt.datetime.now(dt.UTC))),
            )
            requirement_changed(cur, event.staff_id)
        case AssignmentEnded():
            # The nursery keeps read access to the person's ledger: it employed them; the last day
            # is kept for pro-rating.
            cur.execute(
                "UPDATE person_assignments SET ends_on = ?, end_learned_at = ? WHERE assignment_id = ?",
                (event.ends_on.isoformat(), utc_stamp(dt.datetime.now(dt.UTC)), event.assignment_id),
            )
            requirement_changed(cur, event.staff_id)


def requirement_changed(cur: Cursor, staff_id: str) -> None:
    """Queue the person for a restatement of their year totals (``application/restatements.py``)."""
    cur.execute(
        "INSERT INTO requirement_changes (staff_id, learned_at) VALUES (?, ?)"
        " ON CONFLICT (staff_id) DO UPDATE SET learned_at = excluded.learned_at",
        (staff_id, utc_stamp(dt.datetime.now(dt.UTC))),
    )


def registry_follower(store: ReadStore, settings: Settings) -> Follower:
    """The follower of the credential service's feed (its tables are the people read model's, in ``projections.py``)."""
    return Follower(
        service="training", name="credential", store=store, base_url=settings.url_of("credential"),
        token=settings.feed_key, page_type=CredentialFeedPage, apply=apply, interval=settings.follow_interval,
    )
