"""The export to the municipal platform: full, or what changed after a position of the log (and of the training feed).

Records are read a page of people at a time; the caller sees each as it is made (``records_of``),
so the command line can show its progress and write as it goes.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Iterator

from contracts.municipal import (
    MunicipalCertificate, MunicipalExport, MunicipalIntegrity, MunicipalRecord, MunicipalStaff, MunicipalTraining,
)
from services.credential.application.certificates import certificate_view
from services.credential.application.common import today
from shared.application import ServiceApplication
from shared.persistence import query_in

FORMAT = "carecred-municipal/v1"
PAGE = 500


class MunicipalExports:
    """What the municipal platform receives: masked ID numbers only."""

    def __init__(self, records: ServiceApplication):
        self.records = records

    def positions(self) -> tuple[int, int]:
        """Where the log and the training feed (as received) stand now."""
        self.records.projector.catch_up()
        log = int(self.records.projector.position())
        row = self.records.store.query_one("SELECT MAX(source_position) AS p FROM training_totals_history")
        return log, int(row["p"] or 0) if row else 0

    def changed_people(self, since: int, through: int, training_since: int, training_through: int) -> list[str]:
        """The people any exported record of whom changed in (since, through] or in the training feed's range."""
        changed = {r["aggregate_id"] for r in self.records.store.query(
            "SELECT DISTINCT aggregate_id FROM aggregate_versions WHERE notification_id > ? AND notification_id <= ?",
            (since, through))}
        people = {r["staff_id"] for r in self.records.store.query("SELECT staff_id FROM staff")}
        direct = changed & people
        for statement in ("SELECT holder_id AS sid FROM certificates WHERE certificate_id IN ({marks})",
                          "SELECT staff_id AS sid FROM assignments WHERE assignment_id IN ({marks})",
                          "SELECT staff_id AS sid FROM violations WHERE violation_id IN ({marks})"):
            direct |= {r["sid"] for r in query_in(self.records.store.query, statement, sorted(changed))}
        direct |= {r["staff_id"] for r in self.records.store.query(
            "SELECT DISTINCT staff_id FROM training_totals_history WHERE source_position > ? AND source_position <= ?",
            (training_since, training_through))}
        return sorted(direct & people)

    def records_of(self, people: list[str]) -> Iterator[MunicipalRecord]:
        """Every record of these people, a page at a time."""
        on = today()
        day = on.isoformat()
        for start in range(0, len(people), PAGE):
            page = people[start:start + PAGE]
            at = {}
            for r in query_in(self.records.store.query,
                              "SELECT staff_id, nursery_id FROM assignments WHERE start_on <= ? AND (end_on IS NULL"
                              " OR end_on >= ?) AND staff_id IN ({marks})", page, before=(day, day)):
                at.setdefault(r["staff_id"], set()).add(r["nursery_id"])
            for r in query_in(self.records.store.query, "SELECT staff_id, name, id_masked, registered_at FROM staff"
                              " WHERE staff_id IN ({marks}) ORDER BY staff_id", page):
                yield MunicipalStaff(staff_id=r["staff_id"], name=r["name"], id_masked=r["id_masked"],
                                     registered_at=r["registered_at"], nursery_ids=sorted(at.get(r["staff_id"], ())))
            for r in query_in(self.records.store.query, "SELECT * FROM certificates WHERE holder_id IN ({marks})"
                              " ORDER BY holder_id, cert_type, number", page):
                view = certificate_view(r, on)
                yield MunicipalCertificate(
                    certificate_id=view.certificate_id, holder_id=view.holder_id, cert_type=view.cert_type,
                    number=view.number, issuing_body=view.issuing_body, issued_on=view.issued_on,
                    expires_on=view.expires_on, status=view.status)
            for r in query_in(self.records.store.query, "SELECT * FROM training_totals WHERE staff_id IN ({marks})"
                              " ORDER BY staff_id, year", page):
                yield MunicipalTraining(
                    staff_id=r["staff_id"], year=int(r["year"]), skills_hours=float(r["skills_hours"]),
                    ethics_hours=float(r["ethics_hours"]), skills_required=float(r["skills_required"]),
                    ethics_required=float(r["ethics_required"]),
                    complete=r["skills_hours"] >= r["skills_required"] and r["ethics_hours"] >= r["ethics_required"])
            for r in query_in(self.records.store.query, "SELECT * FROM violations WHERE staff_id IN ({marks})"
                              " ORDER BY staff_id, occurred_on, violation_id", page):
                yield MunicipalIntegrity(violation_id=r["violation_id"], staff_id=r["staff_id"], what=r["what"],
                                         occurred_on=r["occurred_on"], action=r["action"], recorded_at=r["recorded_at"])

    def export(self, *, since: int = 0, training_since: int = 0) -> tuple[MunicipalExport, list[str]]:
        """The export's envelope (records empty) and the people to fill it with: see ``records_of``."""
        through, training_through = self.positions()
        full = since == 0 and training_since == 0
        people = ([r["staff_id"] for r in self.records.store.query("SELECT staff_id FROM staff ORDER BY staff_id")]
                  if full else self.changed_people(since, through, training_since, training_through))
        envelope = MunicipalExport(
            format=FORMAT, district="上海市金山区", generated_at=dt.datetime.now(dt.UTC).isoformat(), full=full,
            since=since, through=through, training_since=training_since, training_through=training_through, records=[],
        )
        return envelope, people


def csv_value(value: Any) -> str:
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value) if isinstance(value, float) else str(value)
