"""Transfer use cases: asking to employ a person who works elsewhere, and answering (聘用调动).

Who sees what: the asking nursery's HR sees its requests but never where the person works;
the HR of a nursery whose agreement is needed sees the requests it must answer; the registrar
and auditors see all. Any other HR key gets 404, as for a person it cannot see.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from contracts.transfers import CurrentNursery, NewTransfer, TransferView
from services.credential.domain.transfer import REGISTRAR, Transfer, consent_needed_from
from services.credential.application.common import staff_row, uuid_field
from shared.application import ServiceApplication
from shared.errors import Conflict, Invalid, NotFound
from shared.persistence import query_in

_COLUMNS = "t.transfer_id, t.staff_id, t.nursery_id, t.start_on, t.note, t.status, t.requested_at, t.decided_at," \
           " t.decided_by, t.reason"
_PARTY = "EXISTS (SELECT 1 FROM transfer_parties p WHERE p.transfer_id = t.transfer_id AND p.nursery_id = ?)"


class Transfers:
    """Transfers of people between nurseries, and the consent rule every HR assignment passes."""

    def __init__(self, records: ServiceApplication):
        self.records = records

    # The rule ------------------------------------------------------------------------------------

    def consent_still_needed(self, staff_id: str, nursery_id: str, start_on: dt.date) -> set[str]:
        """The nurseries the person works at on or after ``start_on`` (other than ``nursery_id``)
        that have not agreed, through an approved transfer, that ``nursery_id`` employs them."""
        employers = self.records.store.query(
            "SELECT DISTINCT nursery_id FROM assignments WHERE staff_id = ? AND nursery_id <> ?"
            " AND (end_on IS NULL OR end_on >= ?)",
            (staff_id, nursery_id, start_on.isoformat()),
        )
        agreed = self.records.store.query(
            "SELECT p.nursery_id FROM transfers t JOIN transfer_parties p ON p.transfer_id = t.transfer_id"
            " WHERE t.staff_id = ? AND t.nursery_id = ? AND t.status = 'approved'",
            (staff_id, nursery_id),
        )
        return consent_needed_from((r["nursery_id"] for r in employers), (r["nursery_id"] for r in agreed))

    def require_employers_consent(self, staff_id: str, nursery_id: str, start_on: dt.date,
                                  actor: dict[str, Any]) -> None:
        """409 ``employed_elsewhere`` when an HR key would hire a person another nursery has not released.

        Only HR keys are held to it: the registrar (and an operator at the command line) act for
        the district, which is the authority that could consent. The answer names nothing but the
        conflict and the asking nursery's own open request, if any.
        """
        if actor.get("role") != "hr" or not self.consent_still_needed(staff_id, nursery_id, start_on):
            return
        open_request = self.records.store.query_one(
            "SELECT transfer_id FROM transfers WHERE staff_id = ? AND nursery_id = ? AND status = 'pending'",
            (staff_id, nursery_id),
        )
        raise Conflict(
            "the person works at another nursery: ask for a transfer (POST /v1/transfers); the assignment is"
            " allowed once that nursery or the registrar agrees",
            code="employed_elsewhere", staff_id=staff_id,
            transfer_id=open_request["transfer_id"] if open_request else None,
        )

    # Commands ------------------------------------------------------------------------------------

    def request_transfer(self, data: NewTransfer, *, nursery_id: str, actor: dict[str, Any]) -> TransferView:
        """Ask the nurseries the person works at (409 ``consent_not_needed`` or ``transfer_pending``)."""
        self.records.projector.catch_up("registry", "certification", "transfers")
        nursery = str(uuid_field(nursery_id, "nursery_id"))
        if self.records.store.query_one("SELECT 1 FROM nurseries WHERE nursery_id = ?", (nursery,)) is None:
            raise Invalid(f"no nursery with id {nursery}", field="nursery_id", code="unknown_nursery")
        staff_id = str(staff_row(self.records.store, uuid_field(data.staff_id, "staff_id"), visible_to=None,
                                 field="staff_id")["staff_id"])
        pending = self.records.store.query_one(
            "SELECT transfer_id FROM transfers WHERE staff_id = ? AND nursery_id = ? AND status = 'pending'",
            (staff_id, nursery),
        )
        if pending is not None:
            raise Conflict("this nursery's request for the person is still open", code="transfer_pending",
                           transfer_id=pending["transfer_id"])
        transfer = Transfer.request(
            staff_id=staff_id, nursery_id=nursery, start_on=data.start_on.isoformat(), note=data.note or "",
            current_nursery_ids=self.consent_still_needed(staff_id, nursery, data.start_on), actor=actor,
        )
        self.records.save_and_project(transfer)
        return self.transfer(transfer.id, visible_to=UUID(nursery) if actor.get("role") == "hr" else None)

    def consent_to_transfer(self, transfer_id: UUID, *, note: str | None, visible_to: UUID | None,
                            actor: dict[str, Any]) -> TransferView:
        transfer = self._transfer_for(transfer_id, visible_to)
        transfer.consent(by_nursery=_by(visible_to), note=note or "", actor=actor)
        self.records.save_and_project(transfer)
        return self.transfer(transfer_id, visible_to=visible_to)

    def refuse_transfer(self, transfer_id: UUID, *, reason: str, visible_to: UUID | None,
                        actor: dict[str, Any]) -> TransferView:
        transfer = self._transfer_for(transfer_id, visible_to)
        transfer.refuse(by_nursery=_by(visible_to), reason=reason, actor=actor)
        self.records.save_and_project(transfer)
        return self.transfer(transfer_id, visible_to=visible_to)

    def withdraw_transfer(self, transfer_id: UUID, *, reason: str, visible_to: UUID | None,
                          actor: dict[str, Any]) -> TransferView:
        transfer = self._transfer_for(transfer_id, visible_to)
        transfer.withdraw(by_nursery=_by(visible_to), reason=reason, actor=actor)
        self.records.save_and_project(transfer)
        return self.transfer(transfer_id, visible_to=visible_to)

    def _transfer_for(self, transfer_id: UUID, visible_to: UUID | None) -> Transfer:
        self.transfer(transfer_id, visible_to=visible_to)  # 404 unless the caller may see it
        transfer = self.records.get_or_404(UUID(str(transfer_id)), "transfer")
        if not isinstance(transfer, Transfer):
            raise NotFound(f"no transfer with id {transfer_id}")
        return transfer

    # Queries -------------------------------------------------------------------------------------

    def transfer(self, transfer_id: UUID, *, visible_to: UUID | None = None) -> TransferView:
        """One request (404 for an HR key of a nursery that neither asked nor must answer)."""
        self.records.projector.catch_up("transfers")
        statement = f"SELECT {_COLUMNS} FROM transfers t WHERE t.transfer_id = ?"
        params: list[str] = [str(transfer_id)]
        if visible_to is not None:
            statement += f" AND (t.nursery_id = ? OR {_PARTY})"
            params += [str(visible_to), str(visible_to)]
        row = self.records.store.query_one(statement, params)
        if row is None:
            raise NotFound(f"no transfer with id {transfer_id}")
        return self._views([row], visible_to)[0]

    def transfers(self, *, visible_to: UUID | None, status: str | None = None, staff_id: UUID | None = None,
                  after: str = "", limit: int = 100) -> list[TransferView]:
        """Requests by transfer id; an HR key sees those its nursery made or must answer."""
        self.records.projector.catch_up("transfers")
        statement = f"SELECT {_COLUMNS} FROM transfers t WHERE t.transfer_id > ?"
        params: list[Any] = [after]
        if visible_to is not None:
            statement += f" AND (t.nursery_id = ? OR {_PARTY})"
            params += [str(visible_to), str(visible_to)]
        if status is not None:
            statement += " AND t.status = ?"
            params.append(status)
        if staff_id is not None:
            statement += " AND t.staff_id = ?"
            params.append(str(staff_id))
        rows = self.records.store.query(statement + " ORDER BY t.transfer_id LIMIT ?", [*params, limit])
        return self._views(rows, visible_to)

    def _views(self, rows: list[Any], visible_to: UUID | None) -> list[TransferView]:
        ids = [r["transfer_id"] for r in rows]
        parties: dict[str, list[CurrentNursery]] = {i: [] for i in ids}
        for p in query_in(self.records.store.query, "SELECT transfer_id, nursery_id, consented FROM transfer_parties"
                          " WHERE transfer_id IN ({marks}) ORDER BY nursery_id", ids):
            parties[p["transfer_id"]].append(CurrentNursery(nursery_id=p["nursery_id"], consented=bool(p["consented"])))
        return [
            TransferView(
                **dict(r),
                # The asking nursery learns nothing of the person's employment but that it conflicts.
                current_nurseries=None if visible_to is not None and r["nursery_id"] == str(visible_to)
                else parties[r["transfer_id"]],
            )
            for r in rows
        ]


def _by(visible_to: UUID | None) -> str | None:
    """Who answers: the HR key's nursery, or the registrar (no nursery scope)."""
    return str(visible_to) if visible_to is not None else REGISTRAR
