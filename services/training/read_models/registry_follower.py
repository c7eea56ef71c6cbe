"""Knowing people: the training service follows the credential service's public feed.

Each event is applied with the follower's position in one transaction (see shared.follower),
through the people read model's entry points in ``people.py``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from contracts.events.credential import AssignmentEnded, CredentialFeedPage, StaffAssigned, StaffRegistered
from shared.follower import Follower
from shared.persistence import Cursor


def registry_follower(app: Any) -> Follower:
    """The follower of the credential service's feed, writing the training service's people tables."""

    def apply(cur: Cursor, event: Any, position: int) -> None:
        match event:
            case StaffRegistered():
                app.record_person(
                    staff_id=event.staff_id, id_hash=event.id_hash, name="",
                    nursery_ids=[event.registered_by] if event.registered_by else [],
                    learned_at=dt.datetime.now(dt.UTC).isoformat(), cur=cur,
                )
            case StaffAssigned():
                cur.execute(
                    "INSERT INTO person_nurseries (staff_id, nursery_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
                    (event.staff_id, event.nursery_id),
                )
            case AssignmentEnded():
                # The nursery keeps read access to the person's ledger: it employed them.
                return

    settings = app.settings
    return Follower(
        service="training", name="credential", store=app.store, base_url=settings.url_of("credential"),
        token=settings.feed_key, page_type=CredentialFeedPage, apply=apply, interval=settings.follow_interval,
    )
