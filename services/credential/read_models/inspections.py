"""Read model of inspections: inspectors and their conflicts, monthly draws, visits, scans and findings."""

from __future__ import annotations

import json
from typing import Any

from services.credential.domain.inspection import Inspector
from services.credential.domain.inspection_draw import Draw
from services.credential.domain.inspection_finding import Finding
from services.credential.domain.inspection_visit import Visit
from shared.district import local_date
from shared.persistence import Cursor
from shared.projection import Projection, handles

ROUND_INPUTS = ("count", "pool", "inspectors", "conflicts", "previous", "commitment", "beacon_source", "beacon_on")
LISTS = ("pool", "inspectors", "conflicts", "previous")


class InspectionProjection(Projection):
    """Who inspects, what was drawn, which visits were made and what they found."""

    name = "inspections"

    ddl = [
        "CREATE TABLE IF NOT EXISTS inspectors ("
        " inspector_id TEXT PRIMARY KEY, name TEXT NOT NULL, unit TEXT NOT NULL, active BOOLEAN NOT NULL,"
        " registered_at TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS inspector_conflicts ("
        " inspector_id TEXT NOT NULL, nursery_id TEXT NOT NULL, reason TEXT NOT NULL, declared_at TEXT NOT NULL,"
        " PRIMARY KEY (inspector_id, nursery_id))",
        "CREATE TABLE IF NOT EXISTS inspection_draw_rounds ("
        " draw_id TEXT NOT NULL, month TEXT NOT NULL, round INTEGER NOT NULL, reason TEXT, count INTEGER NOT NULL, weighting TEXT NOT NULL,"
        " pool TEXT NOT NULL, inspectors TEXT NOT NULL, conflicts TEXT NOT NULL, previous TEXT NOT NULL,"
        " commitment TEXT NOT NULL, beacon_source TEXT NOT NULL, beacon_on TEXT NOT NULL, announced_at TEXT NOT NULL,"
        " announced_position BIGINT NOT NULL, seed TEXT, beacon TEXT, log_size BIGINT, log_root TEXT, pairs TEXT,"
        " drawn_at TEXT, PRIMARY KEY (month, round))",
        "CREATE TABLE IF NOT EXISTS inspection_visits ("
        " visit_id TEXT PRIMARY KEY, inspector_id TEXT NOT NULL, nursery_id TEXT NOT NULL, kind TEXT NOT NULL,"
        " draw_month TEXT, finding_ids TEXT NOT NULL, opened_at TEXT NOT NULL, opened_on TEXT NOT NULL,"
        " closed_at TEXT, note TEXT)",
        "CREATE INDEX IF NOT EXISTS inspection_visits_by_nursery ON inspection_visits (nursery_id, opened_on)",
        "CREATE TABLE IF NOT EXISTS inspection_scans ("
        " visit_id TEXT NOT NULL, client_scan_id TEXT NOT NULL, scanned_at TEXT NOT NULL, badge_id TEXT,"
        " staff_id TEXT, verdict TEXT NOT NULL, holder_check TEXT NOT NULL, status_stale BOOLEAN NOT NULL,"
        " device_verdict TEXT, recorded_at TEXT NOT NULL, PRIMARY KEY (visit_id, client_scan_id))",
        "CREATE TABLE IF NOT EXISTS inspection_findings ("
        " finding_id TEXT PRIMARY KEY, visit_id TEXT NOT NULL, nursery_id TEXT NOT NULL, inspector_id TEXT NOT NULL,"
        " kind TEXT NOT NULL, staff_id TEXT, person_name TEXT, detail TEXT NOT NULL, due_on TEXT NOT NULL,"
        " status TEXT NOT NULL, confirmed_at TEXT NOT NULL, confirmed_on TEXT NOT NULL, closed_on TEXT, closed_at TEXT,"
        " closed_by_visit TEXT, escalations INTEGER NOT NULL, last_note TEXT)",
        "CREATE INDEX IF NOT EXISTS inspection_findings_by_nursery ON inspection_findings (nursery_id, status)",
        "CREATE TABLE IF NOT EXISTS inspection_finding_deadlines ("
        " finding_id TEXT NOT NULL, position BIGINT NOT NULL, due_on TEXT NOT NULL, set_on TEXT NOT NULL, set_at TEXT NOT NULL,"
        " PRIMARY KEY (finding_id, position))",
    ]
    tables = ["inspectors", "inspector_conflicts", "inspection_draw_rounds", "inspection_visits", "inspection_scans",
              "inspection_findings", "inspection_finding_deadlines"]

    @handles(Inspector.Registered)
    def inspector_registered(self, cur: Cursor, e: Any, position: int) -> None:
        cur.execute("INSERT INTO inspectors (inspector_id, name, unit, active, registered_at) VALUES (?, ?, ?, ?, ?)",
                    (str(e.originator_id), e.name, e.unit, True, e.timestamp.isoformat()))

    @handles(Inspector.Deactivated, Inspector.Reactivated)
    def inspector_active(self, cur: Cursor, e: Any, position: int) -> None:
        cur.execute("UPDATE inspectors SET active = ? WHERE inspector_id = ?",
                    (isinstance(e, Inspector.Reactivated), str(e.originator_id)))

    @handles(Inspector.ConflictDeclared)
    def conflict(self, cur: Cursor, e: Any, position: int) -> None:
        cur.execute("INSERT INTO inspector_conflicts (inspector_id, nursery_id, reason, declared_at) VALUES (?, ?, ?, ?)"
                    " ON CONFLICT DO NOTHING", (str(e.originator_id), e.nursery_id, e.reason, e.timestamp.isoformat()))

    @handles(Draw.Announced, Draw.Reannounced)
    def announced(self, cur: Cursor, e: Any, position: int) -> None:
        draw_id = str(e.originator_id)
        if isinstance(e, Draw.Announced):
            month, round_, reason, weighting = e.month, 1, None, e.weighting
        else:
            first = cur.fetchone("SELECT month, weighting FROM inspection_draw_rounds WHERE draw_id = ? AND round = 1",
                                 (draw_id,))
            month, round_, reason, weighting = first["month"], e.round, e.reason, first["weighting"]
        values = [json.dumps(getattr(e, k)) if k in LISTS else getattr(e, k) for k in ROUND_INPUTS]
        cur.execute(
            "INSERT INTO inspection_draw_rounds (draw_id, month, round, reason, weighting, announced_at,"
            " announced_position, " + ", ".join(ROUND_INPUTS) + ") VALUES (?, ?, ?, ?, ?, ?, ?, "
            + ", ".join("?" for _ in ROUND_INPUTS) + ")",
            (draw_id, month, round_, reason, weighting, e.timestamp.isoformat(), position, *values),
        )

    @handles(Draw.Drawn)
    def drawn(self, cur: Cursor, e: Any, position: int) -> None:
        cur.execute(
            "UPDATE inspection_draw_rounds SET seed = ?, beacon = ?, log_size = ?, log_root = ?, pairs = ?, drawn_at = ?"
            " WHERE draw_id = ? AND round = ?",
            (e.seed, e.beacon, e.log_size, e.log_root, json.dumps(e.pairs), e.timestamp.isoformat(),
             str(e.originator_id), e.round),
        )

    @handles(Visit.Opened)
    def visit_opened(self, cur: Cursor, e: Any, position: int) -> None:
        cur.execute(
            "INSERT INTO inspection_visits (visit_id, inspector_id, nursery_id, kind, draw_month, finding_ids, opened_at,"
            " opened_on) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (str(e.originator_id), e.inspector_id, e.nursery_id, e.kind, e.draw_month, json.dumps(e.finding_ids),
             e.timestamp.isoformat(), local_date(e.timestamp).isoformat()),
        )

    @handles(Visit.Scanned)
    def scanned(self, cur: Cursor, e: Any, position: int) -> None:
        cur.execute(
            "INSERT INTO inspection_scans (visit_id, client_scan_id, scanned_at, badge_id, staff_id, verdict,"
            " holder_check, status_stale, device_verdict, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            (str(e.originator_id), e.client_scan_id, e.scanned_at, e.badge_id, e.staff_id, e.verdict, e.holder_check,
             e.status_stale, e.device_verdict, e.timestamp.isoformat()),
        )

    @handles(Visit.Closed)
    def visit_closed(self, cur: Cursor, e: Any, position: int) -> None:
        cur.execute("UPDATE inspection_visits SET closed_at = ?, note = ? WHERE visit_id = ?",
                    (e.timestamp.isoformat(), e.note, str(e.originator_id)))

    @handles(Finding.Confirmed)
    def finding_confirmed(self, cur: Cursor, e: Any, position: int) -> None:
        cur.execute(
            "INSERT INTO inspection_findings (finding_id, visit_id, nursery_id, inspector_id, kind, staff_id, person_name,"
            " detail, due_on, status, confirmed_at, confirmed_on, escalations) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (str(e.originator_id), e.visit_id, e.nursery_id, e.inspector_id, e.kind, e.staff_id, e.person_name,
             e.detail, e.due_on, "open", e.timestamp.isoformat(), local_date(e.timestamp).isoformat(), 0),
        )
        _deadline(cur, e, position)

    @handles(Finding.Closed)
    def finding_closed(self, cur: Cursor, e: Any, position: int) -> None:
        cur.execute("UPDATE inspection_findings SET status = 'closed', closed_on = ?, closed_at = ?, closed_by_visit = ?,"
                    " last_note = ? WHERE finding_id = ?",
                    (local_date(e.timestamp).isoformat(), e.timestamp.isoformat(), e.visit_id, e.note,
                     str(e.originator_id)))

    @handles(Finding.Escalated)
    def finding_escalated(self, cur: Cursor, e: Any, position: int) -> None:
        cur.execute("UPDATE inspection_findings SET status = 'escalated', due_on = ?, escalations = escalations + 1,"
                    " last_note = ? WHERE finding_id = ?", (e.due_on, e.note, str(e.originator_id)))
        _deadline(cur, e, position)


def _deadline(cur: Cursor, e: Any, position: int) -> None:
    """A finding's deadline from the day it was set (confirmed or escalated): figures as on a past date use the
    deadline in force then."""
    cur.execute("INSERT INTO inspection_finding_deadlines (finding_id, position, due_on, set_on, set_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (str(e.originator_id), position, e.due_on, local_date(e.timestamp).isoformat(), e.timestamp.isoformat()))
