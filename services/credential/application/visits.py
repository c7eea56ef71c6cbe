"""On-site visits: opened by a scoped inspector key, badges scanned (online or uploaded later), closed."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from uuid import UUID

from contracts.badges import HolderCheck, Verdict
from contracts.inspections import (
    InspectorView, NewVisit, ProposedFinding, ScanBatch, ScanReceipt, ScanUpload, ScanView, VisitClosing, VisitView,
)
from services.credential.application.badges import Badges
from services.credential.application.common import today, uuid_field
from services.credential.application.draws import Draws
from services.credential.application.visit_compliance import VisitCompliance
from services.credential.domain.inspection_visit import Visit
from shared.application import ServiceApplication
from shared.errors import Conflict, Invalid, NotFound

SKEW = dt.timedelta(minutes=5)
"""How far a device's clock may run ahead of the service's (scans dated later are refused)."""
NOT_VALID = {v.value for v in Verdict} - {Verdict.VALID, Verdict.HOLDER_MISMATCH, Verdict.STATUS_UNKNOWN}


class Visits:
    """An inspector's visits; a scan sent twice (the same device scan id) is recorded once."""

    def __init__(self, records: ServiceApplication, badges: Badges, draws: Draws, compliance: VisitCompliance):
        self.records = records
        self.badges = badges
        self.draws = draws
        self.compliance = compliance

    def open(self, data: NewVisit, inspector: InspectorView, actor: dict[str, Any]) -> VisitView:
        self.records.projector.catch_up("registry", "inspections")
        nursery_id = str(uuid_field(data.nursery_id, "nursery_id"))
        if self.records.store.query_one("SELECT 1 FROM nurseries WHERE nursery_id = ?", (nursery_id,)) is None:
            raise Invalid(f"no nursery with id {nursery_id}", field="nursery_id", code="unknown_nursery")
        if nursery_id in inspector.conflicts:
            raise Conflict("you declared a conflict of interest with this nursery", code="conflict_of_interest")
        if data.kind != "random" and data.draw_month is not None:
            raise Invalid("draw_month is for a random visit only", field="draw_month")
        if data.kind != "reinspection" and data.finding_ids:
            raise Invalid("finding_ids are for a re-inspection only", field="finding_ids")
        if data.kind == "random":
            if data.draw_month is None:
                raise Invalid("a random visit names the month of its draw", field="draw_month")
            if self.draws.pair_of(data.draw_month, nursery_id) != inspector.inspector_id:
                raise Invalid(f"the draw of {data.draw_month} did not send you to this nursery", field="draw_month",
                              code="not_drawn")
        finding_ids = [self._reinspectable(raw, i, nursery_id) for i, raw in enumerate(data.finding_ids)]
        if data.kind == "reinspection" and not finding_ids:
            raise Invalid("a re-inspection names the findings it re-inspects", field="finding_ids")
        if len(set(finding_ids)) != len(finding_ids):
            raise Invalid("a finding is named twice", field="finding_ids")
        visit = Visit(inspector_id=inspector.inspector_id, nursery_id=nursery_id, kind=data.kind,
                      draw_month=data.draw_month, finding_ids=finding_ids, actor=actor)
        self.records.save_and_project(visit)
        return self.visit(visit.id)

    def _reinspectable(self, raw: str, i: int, nursery_id: str) -> str:
        field = f"finding_ids[{i}]"
        finding_id = str(uuid_field(raw, field))
        row = self.records.store.query_one(
            "SELECT status FROM inspection_findings WHERE finding_id = ? AND nursery_id = ?", (finding_id, nursery_id))
        if row is None:
            raise Invalid(f"no finding {finding_id} at this nursery", field=field, code="unknown_finding")
        if row["status"] == "closed":
            raise Invalid(f"finding {finding_id} is closed", field=field, code="finding_closed")
        return finding_id

    def own_visit(self, visit_id: UUID, inspector: InspectorView, *, open_only: bool = True) -> Visit:
        """The inspector's own visit (404 for another's), open unless said otherwise (409 ``visit_closed``)."""
        self.records.projector.catch_up("inspections")
        row = self.records.store.query_one("SELECT inspector_id FROM inspection_visits WHERE visit_id = ?", (str(visit_id),))
        if row is None or row["inspector_id"] != inspector.inspector_id:
            raise NotFound(f"no visit of yours with id {visit_id}")
        visit: Visit = self.records.repository.get(visit_id)
        if open_only and visit.closed:
            raise Conflict("the visit is closed", code="visit_closed")
        return visit

    def scan(self, visit_id: UUID, batch: ScanBatch, inspector: InspectorView, actor: dict[str, Any]) -> ScanReceipt:
        visit = self.own_visit(visit_id, inspector)
        opened_at = dt.datetime.fromisoformat(self.records.store.query_one(
            "SELECT opened_at FROM inspection_visits WHERE visit_id = ?", (str(visit_id),))["opened_at"])
        now = dt.datetime.now(dt.UTC)
        recorded: list[str] = []
        already: list[str] = []
        for i, scan in enumerate(batch.scans):
            if scan.client_scan_id in visit.scan_ids:
                already.append(scan.client_scan_id)
                continue
            at = scan.scanned_at
            if at > now + SKEW:
                raise Invalid("scanned_at is in the future", field=f"scans[{i}].scanned_at", code="scanned_in_future")
            if at < opened_at - SKEW:
                raise Invalid("scanned_at is before the visit was opened", field=f"scans[{i}].scanned_at",
                              code="scanned_before_visit")
            visit.scan(client_scan_id=scan.client_scan_id, scanned_at=at.astimezone(dt.UTC).isoformat(),
                       actor=actor, **self._verdict(scan, i))
            recorded.append(scan.client_scan_id)
        if recorded:
            self.records.save_and_project(visit)
        return ScanReceipt(recorded=recorded, already_recorded=already)

    def _verdict(self, scan: ScanUpload, i: int) -> dict[str, Any]:
        device = None if scan.device_verdict is None else str(scan.device_verdict)
        if scan.qr is not None and scan.badge_id is not None:
            raise Invalid("a scan names the QR text or the badge id, not both", field=f"scans[{i}].badge_id")
        if scan.qr is not None:
            result = self.badges.verify(scan.qr, id_number=scan.id_number, now=scan.scanned_at)
            holder = result.holder
            return dict(badge_id=holder.badge_id if holder else None, staff_id=holder.staff_id if holder else None,
                        verdict=str(result.verdict), holder_check=str(result.holder_check),
                        status_stale=bool(result.status and result.status.stale), device_verdict=device)
        if scan.badge_id is None:
            raise Invalid("a scan names the QR text or the badge id", field=f"scans[{i}].qr")
        if scan.id_number is not None:
            raise Invalid("the ID number is checked against a scanned QR text only", field=f"scans[{i}].id_number")
        self.badges.projector.catch_up()
        badge_id = str(uuid_field(scan.badge_id, f"scans[{i}].badge_id"))
        row = self.records.store.query_one("SELECT staff_id, status, expires_at FROM badges WHERE badge_id = ?", (badge_id,))
        if row is None:
            raise Invalid(f"no badge with id {badge_id}", field=f"scans[{i}].badge_id", code="unknown_badge")
        verdict = row["status"] if row["status"] in ("revoked", "suspended") else (
            "expired" if row["expires_at"] <= scan.scanned_at.astimezone(dt.UTC).isoformat() else "valid")
        return dict(badge_id=badge_id, staff_id=row["staff_id"], verdict=verdict, holder_check=str(HolderCheck.NOT_CHECKED),
                    status_stale=False, device_verdict=device)

    def close(self, visit_id: UUID, data: VisitClosing, inspector: InspectorView, actor: dict[str, Any]) -> VisitView:
        visit = self.own_visit(visit_id, inspector)
        visit.close(note=data.note, actor=actor)
        self.records.save_and_project(visit)
        return self.visit(visit_id)

    def proposals(self, visit_id: UUID, inspector: InspectorView) -> list[ProposedFinding]:
        """What the scans and the roster suggest: badges not valid, holder mismatches, lapsed certificates, people
        scanned here who are not on this nursery's roster, each judged on the visit's day (certificates by the
        policy in force that day)."""
        self.own_visit(visit_id, inspector, open_only=False)
        self.records.projector.catch_up("registry", "certification")
        proposed: dict[tuple[str, str | None], str] = {}
        visit = self.visit(visit_id)
        on = visit.opened_on.isoformat()
        for scan in visit.scans:
            who = scan.staff_id
            if Verdict.HOLDER_MISMATCH in (scan.verdict, scan.device_verdict):  # offline, the device checked the ID
                proposed[("holder_mismatch", who)] = f"badge {scan.badge_id} shown by someone who is not its holder"
            elif scan.verdict in NOT_VALID:
                proposed[("no_valid_badge", who)] = f"badge scanned with verdict {scan.verdict}"
            if who is None:
                continue
            lapsed = self.compliance.lapsed(who, visit.opened_on)
            if lapsed:
                proposed.setdefault(("lapsed_certificate", who), "; ".join(lapsed)[:1000])
            on_roster = self.records.store.query_one(
                "SELECT 1 FROM assignments a WHERE a.staff_id = ? AND a.nursery_id = ? AND a.start_on <= ?"
                " AND (a.end_on IS NULL OR a.end_on >= ?)", (who, visit.nursery_id, on, on))
            if on_roster is None:
                proposed[("not_on_roster", who)] = "scanned at work here but not on this nursery's roster"
        return [ProposedFinding(kind=k, staff_id=s, detail=d) for (k, s), d in proposed.items()]

    def visit(self, visit_id: UUID | str) -> VisitView:
        self.records.projector.catch_up("inspections")
        row = self.records.store.query_one("SELECT * FROM inspection_visits WHERE visit_id = ?", (str(visit_id),))
        if row is None:
            raise NotFound(f"no visit with id {visit_id}")
        return self._view(row)

    def visits(self, *, nursery_id: str | None, inspector_id: str | None, limit: int = 200) -> list[VisitView]:
        self.records.projector.catch_up("inspections")
        statement, params = "SELECT * FROM inspection_visits WHERE 1 = 1", []
        if nursery_id is not None:
            statement, params = statement + " AND nursery_id = ?", [*params, nursery_id]
        if inspector_id is not None:
            statement, params = statement + " AND inspector_id = ?", [*params, inspector_id]
        rows = self.records.store.query(statement + " ORDER BY opened_at DESC LIMIT ?", [*params, limit])
        return [self._view(r) for r in rows]

    def _view(self, row: Any) -> VisitView:
        scans = self.records.store.query(
            "SELECT * FROM inspection_scans WHERE visit_id = ? ORDER BY scanned_at, client_scan_id", (row["visit_id"],))
        return VisitView(
            visit_id=row["visit_id"], inspector_id=row["inspector_id"], nursery_id=row["nursery_id"], kind=row["kind"],
            draw_month=row["draw_month"], finding_ids=json.loads(row["finding_ids"]), opened_at=row["opened_at"],
            opened_on=dt.date.fromisoformat(row["opened_on"]), closed_at=row["closed_at"],
            scans=[ScanView(client_scan_id=s["client_scan_id"], scanned_at=s["scanned_at"], badge_id=s["badge_id"],
                            staff_id=s["staff_id"], verdict=s["verdict"], holder_check=s["holder_check"],
                            status_stale=bool(s["status_stale"]), device_verdict=s["device_verdict"],
                            recorded_at=s["recorded_at"]) for s in scans],
        )
