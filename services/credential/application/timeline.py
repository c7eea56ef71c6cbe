"""An auditor's timeline of a person across aggregates, and the training totals received on the feed.

The aggregates that name the person are found from the read models (their staff record, the
certificates they hold, their assignments, badges, integrity records, transfers and inspection
findings about them); their events are read from the log itself (``AuditLog.history``), so each
entry is the stored event with its position and its inclusion proof. Inspection visits are
other people's too: of a visit, only the scans naming the person (their staff id, or one of
their badges) are entries.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from contracts.timeline import PersonTimeline, TimelineEntry
from services.credential.application import recorded
from services.credential.application.common import staff_row
from shared.application import ServiceApplication
from shared.audit.log import AuditLog
from shared.errors import NotFound

_AGGREGATES = (
    ("certificate", "SELECT certificate_id AS id FROM certificates WHERE holder_id = ?"),
    ("assignment", "SELECT assignment_id AS id FROM assignments WHERE staff_id = ?"),
    ("badge", "SELECT badge_id AS id FROM badges WHERE staff_id = ?"),
    ("integrity", "SELECT violation_id AS id FROM violations WHERE staff_id = ?"),
    ("transfer", "SELECT transfer_id AS id FROM transfers WHERE staff_id = ?"),
    ("finding", "SELECT finding_id AS id FROM inspection_findings WHERE staff_id = ?"),
)
_SCANNED_VISITS = ("SELECT DISTINCT visit_id AS id FROM inspection_scans WHERE staff_id = ?"
                   " OR badge_id IN (SELECT badge_id FROM badges WHERE staff_id = ?)")
_SCANNED = "carecred.credential:Visit.Scanned.v1"
_HIDDEN = ("id_hash",)
"""Never shown in a timeline, though in the event (the keyed hash of the ID number)."""


def summary(topic: str, body: dict[str, Any]) -> str:
    """A line for people: what happened (the topic's event name) and its main fields."""
    name = topic.rsplit(":", 1)[-1].rsplit(".v", 1)[0]
    keys = ("name", "cert_type", "number", "role", "nursery_id", "start_on", "end_on", "effective_on", "status",
            "what", "action", "reason", "verdict", "scanned_at", "detail", "due_on")
    parts = [f"{k}={body[k]}" for k in keys if body.get(k) not in (None, "", [], {})]
    return f"{name}: {', '.join(parts)}" if parts else name


class PersonTimelines:
    """Auditors and the registrar read a person's whole record, each entry linked to its event and proof."""

    def __init__(self, records: ServiceApplication, audit: AuditLog, badges_projector: Any):
        self.records = records
        self.audit = audit
        self.badges_projector = badges_projector

    def timeline(self, staff_id: UUID, *, as_of: dt.datetime | None = None) -> PersonTimeline:
        self.records.projector.catch_up()
        self.badges_projector.catch_up()
        at = recorded.stamp(as_of)
        person = staff_row(self.records.store, staff_id, visible_to=None)
        if at is not None and person["registered_at"] > at:
            raise NotFound(f"no staff member with id {staff_id} was registered at {at}")
        sid = person["staff_id"]
        aggregates = [("registration", sid)] + [
            (kind, row["id"]) for kind, statement in _AGGREGATES for row in self.records.store.query(statement, (sid,))
        ] + [("inspection_scan", row["id"]) for row in self.records.store.query(_SCANNED_VISITS, (sid, sid))]
        badges = {r["badge_id"] for r in self.records.store.query("SELECT badge_id FROM badges WHERE staff_id = ?", (sid,))}
        tree_size = self.audit.tree_size()
        last_in_tree = tree_size_position(self.audit, tree_size)
        entries: list[TimelineEntry] = []
        for kind, aggregate_id in aggregates:
            for e in self.audit.history(aggregate_id).events:
                if at is not None and e.recorded_at > at:
                    continue
                if kind == "inspection_scan" and not (e.topic == _SCANNED and _names(e.body, sid, badges)):
                    continue  # the visit's other events and other people's scans
                body = {k: v for k, v in e.body.items() if k not in _HIDDEN}
                entries.append(TimelineEntry(
                    kind=kind, recorded_at=e.recorded_at, topic=e.topic, summary=summary(e.topic, body),
                    position=e.position, originator_id=str(aggregate_id), version=e.version,
                    event=f"/v1/audit/aggregates/{aggregate_id}/history",
                    proof=(f"/v1/audit/proofs/inclusion?position={e.position}&tree_size={tree_size}"
                           if e.position is not None and e.position <= last_in_tree else None),
                    body=body,
                ))
        entries += self._training(sid, at)
        entries.sort(key=lambda t: (t.recorded_at, t.position or 0))
        return PersonTimeline(staff_id=sid, name=person["name"], as_of=at, tree_size=tree_size, entries=entries)

    def _training(self, sid: str, at: str | None) -> list[TimelineEntry]:
        recorded_by, params = ("", []) if at is None else (" AND updated_at <= ?", [at])
        rows = self.records.store.query(
            "SELECT year, source_position, skills_hours, ethics_hours, skills_required, ethics_required, updated_at"
            f" FROM training_totals_history WHERE staff_id = ?{recorded_by} ORDER BY source_position",
            (sid, *params),
        )
        return [
            TimelineEntry(
                kind="training", recorded_at=r["updated_at"], topic="training totals (training feed)",
                summary=(f"{r['year']}: {r['skills_hours']:g} / {r['skills_required']:g} h skills,"
                         f" {r['ethics_hours']:g} / {r['ethics_required']:g} h ethics"),
                position=None, originator_id=None, version=None, event=None, proof=None,
                source_position=int(r["source_position"]),
            )
            for r in rows
        ]


def _names(body: dict[str, Any], sid: str, badges: set[str]) -> bool:
    return body.get("staff_id") == sid or body.get("badge_id") in badges


def tree_size_position(audit: AuditLog, tree_size: int) -> int:
    """The log position of the tree's last leaf (0 for an empty tree): later events are not in it yet."""
    if tree_size == 0:
        return 0
    row = audit.store.query_one("SELECT notification_id FROM merkle_leaves WHERE leaf_index = ?", (tree_size - 1,))
    return int(row["notification_id"]) if row else 0
