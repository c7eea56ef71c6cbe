"""Assessment results posted by providers, the subsidy list per provider and period, payments.

The subsidy list names each eligible person once per certificate type and level (the first
pass recorded earns the claim: ``domain/assessment.py``); each line lists the events it rests
on (the assessment, then each payment event) by log position, for the audit export and proofs.
Payments are recorded by the registrar (the district pays the subsidy; there is no finance
role among the API keys), each as an event.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from contracts.training import (
    AssessmentView, EventRef, NewAssessment, SubsidyLine, SubsidyList, SubsidyPaid, SubsidyUnpaid,
)
from services.training.application.catalogue import Catalogue
from services.training.application.checks import person_ref
from services.training.domain.assessment import Assessment, SubsidyPayment, assessment_id_for, claim_id_for
from services.training.read_models.people import People
from shared.application import ServiceApplication
from shared.district import today
from shared.errors import Conflict, Invalid, NotFound

MAX_PERIOD_DAYS = 3660
CSV_COLUMNS = ("claim_id", "staff_id", "provider_id", "certificate_type", "level", "assessment_id", "assessed_on",
               "status", "amount_yuan", "reference", "paid_on", "event_positions")


class Assessments:
    """Providers post results; the registrar lists the subsidy claims and records their payment."""

    def __init__(self, records: ServiceApplication, catalogue: Catalogue, people: People):
        self.records = records
        self.catalogue = catalogue
        self.people = people

    def post(self, provider_id: UUID, data: NewAssessment, actor: dict[str, Any]) -> tuple[AssessmentView, bool]:
        """Record a result (True) or answer a retry (False); 409 when the event id was used differently."""
        provider = self.catalogue.provider(provider_id)
        ref = person_ref(data, self.people.id_hash_of)  # type: ignore[arg-type]
        if ref.staff_id is not None:
            if not self.people.known_staff_ids([ref.staff_id]):
                raise Invalid(f"no registered person with staff_id {ref.staff_id}", field="staff_id",
                              code="unknown_person")
            staff_id = ref.staff_id
        else:
            found = self.people.staff_ids_by_hash([ref.id_hash or ""])
            if not found:
                raise Invalid("no registered person with this id_number", field="id_number", code="unknown_person")
            staff_id = found[ref.id_hash or ""]
        if data.assessed_on > today():
            raise Invalid("assessed_on is in the future", field="assessed_on", code="assessed_in_future")
        fields = dict(staff_id=staff_id, certificate_type=data.certificate_type, level=data.level, passed=data.passed,
                      assessed_on=data.assessed_on.isoformat())
        existing = self._recorded(provider_id, data.event_id)
        if existing is None and provider.withdrawn_at:
            raise Invalid(f"provider {provider.code} is withdrawn", field="provider_id", code="provider_withdrawn")
        if existing is None:
            assessment = Assessment(provider_id=str(provider_id), event_id=data.event_id, actor=actor, **fields)
            try:
                self.records.save_and_project(assessment)
                return self.assessment(assessment.id), True
            except IntegrityError:
                existing = self.records.repository.get(assessment.id)
        differs = existing.same_as(**fields)
        if differs:
            raise Conflict(f"event id {data.event_id} was already used for a different result (differs in: "
                           f"{', '.join(differs)})", code="assessment_conflict", differs=differs)
        return self.assessment(existing.id), False

    def _recorded(self, provider_id: UUID, event_id: str) -> Assessment | None:
        try:
            return self.records.repository.get(assessment_id_for(provider_id, event_id))
        except AggregateNotFoundError:  # not recorded yet
            return None

    def assessment(self, assessment_id: UUID | str) -> AssessmentView:
        self.records.projector.catch_up("assessments")
        row = self.records.store.query_one(
            "SELECT a.*, c.claim_id FROM assessments a LEFT JOIN subsidy_claims c ON c.assessment_id = a.assessment_id"
            " WHERE a.assessment_id = ?", (str(assessment_id),))
        if row is None:
            raise NotFound(f"no assessment {assessment_id}")
        return _assessment_view(row)

    def assessments(self, provider_id: UUID) -> list[AssessmentView]:
        self.catalogue.provider(provider_id)
        self.records.projector.catch_up("assessments")
        rows = self.records.store.query(
            "SELECT a.*, c.claim_id FROM assessments a LEFT JOIN subsidy_claims c ON c.assessment_id = a.assessment_id"
            " WHERE a.provider_id = ? ORDER BY a.position", (str(provider_id),))
        return [_assessment_view(r) for r in rows]

    # -- the subsidy list ---------------------------------------------------------------------

    def subsidy_list(self, provider_id: UUID, start: dt.date, end: dt.date) -> SubsidyList:
        """The claims earned by passes at this provider assessed from ``start`` to ``end`` (inclusive)."""
        if end < start:
            raise Invalid("end is before start", field="end", code="end_before_start")
        if (end - start).days > MAX_PERIOD_DAYS:
            raise Invalid(f"a period is at most {MAX_PERIOD_DAYS} days", field="end", code="period_too_long")
        self.catalogue.provider(provider_id)
        self.records.projector.catch_up("assessments")
        rows = self.records.store.query(
            "SELECT * FROM subsidy_claims WHERE provider_id = ? AND assessed_on >= ? AND assessed_on <= ?"
            " ORDER BY assessed_on, staff_id, certificate_type, level",
            (str(provider_id), start.isoformat(), end.isoformat()),
        )
        lines = self._lines(rows)
        paid = sum(1 for line in lines if line.status == "paid")
        return SubsidyList(provider_id=str(provider_id), start=start.isoformat(), end=end.isoformat(), lines=lines,
                           paid=paid, unpaid=len(lines) - paid)

    def _lines(self, rows: list[Any]) -> list[SubsidyLine]:
        lines = []
        for r in rows:
            events = self.records.store.query("SELECT * FROM subsidy_events WHERE claim_id = ? ORDER BY position",
                                              (r["claim_id"],))
            lines.append(SubsidyLine(
                claim_id=r["claim_id"], staff_id=r["staff_id"], provider_id=r["provider_id"],
                certificate_type=r["certificate_type"], level=r["level"], assessment_id=r["assessment_id"],
                assessed_on=r["assessed_on"], status="paid" if r["paid"] else "unpaid", amount_fen=r["amount_fen"],
                reference=r["reference"], paid_on=r["paid_on"],
                events=[EventRef(position=e["position"], topic=e["topic"], aggregate_id=e["aggregate_id"],
                                 recorded_at=e["recorded_at"]) for e in events],
            ))
        return lines

    @staticmethod
    def csv_of(listing: SubsidyList) -> str:
        """The list as CSV (UTF-8, a header row; amounts in yuan; event positions separated by spaces)."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(CSV_COLUMNS)
        for line in listing.lines:
            writer.writerow([
                line.claim_id, line.staff_id, line.provider_id, line.certificate_type, line.level, line.assessment_id,
                line.assessed_on, line.status,
                f"{line.amount_fen / 100:.2f}" if line.amount_fen is not None else "", line.reference or "",
                line.paid_on or "", " ".join(str(e.position) for e in line.events),
            ])
        return out.getvalue()

    # -- payments -------------------------------------------------------------------------------

    def claim(self, claim_id: UUID) -> SubsidyLine:
        self.records.projector.catch_up("assessments")
        rows = self.records.store.query("SELECT * FROM subsidy_claims WHERE claim_id = ?", (str(claim_id),))
        if not rows:
            raise NotFound(f"no subsidy claim {claim_id}")
        return self._lines(rows)[0]

    def pay(self, claim_id: UUID, data: SubsidyPaid, actor: dict[str, Any]) -> SubsidyLine:
        """Record a claim's payment (again, after it was marked unpaid); 409 if it is paid."""
        line = self.claim(claim_id)
        if data.paid_on > today():
            raise Invalid("paid_on is in the future", field="paid_on", code="paid_in_future")
        if data.paid_on.isoformat() < line.assessed_on:
            raise Invalid("paid_on is before the assessment", field="paid_on", code="paid_before_assessment")
        payment_id = claim_id_for(line.staff_id, line.certificate_type, line.level)  # the claim's own id
        fields = dict(amount_fen=data.amount_fen, reference=data.reference, paid_on=data.paid_on.isoformat(),
                      actor=actor)
        try:
            payment: SubsidyPayment = self.records.repository.get(payment_id)
        except AggregateNotFoundError:  # the first payment
            payment = SubsidyPayment(staff_id=line.staff_id, certificate_type=line.certificate_type, level=line.level,
                                     **fields)
        else:
            payment.pay_again(**fields)
        try:
            self.records.save_and_project(payment)
        except IntegrityError:
            raise Conflict("the claim's payment changed meanwhile; read it and try again", code="already_paid") from None
        return self.claim(claim_id)

    def mark_unpaid(self, claim_id: UUID, data: SubsidyUnpaid, actor: dict[str, Any]) -> SubsidyLine:
        """Record that a paid claim is unpaid again; 409 unless it is paid."""
        line = self.claim(claim_id)
        try:
            payment: SubsidyPayment = self.records.repository.get(claim_id_for(line.staff_id, line.certificate_type,
                                                                               line.level))
        except AggregateNotFoundError:
            raise Conflict("the claim is not paid", code="not_paid", claim_id=str(claim_id)) from None
        payment.mark_unpaid(data.reason, actor)
        try:
            self.records.save_and_project(payment)
        except IntegrityError:
            raise Conflict("the claim's payment changed meanwhile; read it and try again", code="not_paid") from None
        return self.claim(claim_id)


def _assessment_view(row: Any) -> AssessmentView:
    return AssessmentView(
        assessment_id=row["assessment_id"], provider_id=row["provider_id"], event_id=row["event_id"],
        staff_id=row["staff_id"], certificate_type=row["certificate_type"], level=row["level"],
        passed=bool(row["passed"]), assessed_on=row["assessed_on"], recorded_at=row["recorded_at"],
        position=row["position"], claim_id=row["claim_id"],
    )
