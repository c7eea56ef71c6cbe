"""A nursery's life: details changed, suspended, reopened, closed, each from a date; who is left at a closed one."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from contracts.registry import NurseryDetails, NurseryState, NurseryStatusChange, NurseryView, StaffAtClosedNursery
from services.credential.application.registry import Registry
from services.credential.read_models.nurseries import STATE_COLUMNS, states_on
from services.credential.domain.nursery import Nursery
from shared.application import ServiceApplication
from shared.errors import Conflict, NotFound


def state_view(row: Any) -> NurseryState:
    return NurseryState(**{**dict(row), "inclusive": bool(row["inclusive"]), "position": int(row["position"])})


class NurseryLifecycle:
    """The registrar records a nursery's changes; everyone reads its states; HR and the registrar see who is left."""

    def __init__(self, records: ServiceApplication, registry: Registry):
        self.records = records
        self.registry = registry

    def _nursery(self, nursery_id: UUID) -> Nursery:
        nursery = self.records.get_or_404(UUID(str(nursery_id)), "nursery")
        if not isinstance(nursery, Nursery):
            raise NotFound(f"no nursery with id {nursery_id}")
        return nursery

    def _save(self, nursery: Nursery) -> None:
        try:
            self.records.save_and_project(nursery)
        except IntegrityError:
            raise Conflict("the nursery changed meanwhile: read it again and retry", code="changed_meanwhile",
                           nursery_id=str(nursery.id)) from None

    # Commands ---------------------------------------------------------------------------------

    def change_details(self, nursery_id: UUID, data: NurseryDetails, actor: dict[str, Any]) -> NurseryView:
        nursery = self._nursery(nursery_id)
        nursery.change_details(
            data.effective_on, name=(data.name or nursery.name).strip(), kind=data.kind or nursery.kind,
            ownership=data.ownership or nursery.ownership,
            inclusive=nursery.inclusive if data.inclusive is None else data.inclusive,
            capacity=nursery.capacity if data.capacity is None else data.capacity, reason=data.reason, actor=actor,
        )
        self._save(nursery)
        return self.registry.nursery(nursery.id)

    def suspend(self, nursery_id: UUID, data: NurseryStatusChange, actor: dict[str, Any]) -> NurseryView:
        nursery = self._nursery(nursery_id)
        nursery.suspend(data.effective_on, data.reason, actor)
        self._save(nursery)
        return self.registry.nursery(nursery.id)

    def reopen(self, nursery_id: UUID, data: NurseryStatusChange, actor: dict[str, Any]) -> NurseryView:
        nursery = self._nursery(nursery_id)
        nursery.reopen(data.effective_on, data.reason, actor)
        self._save(nursery)
        return self.registry.nursery(nursery.id)

    def close(self, nursery_id: UUID, data: NurseryStatusChange, actor: dict[str, Any]) -> NurseryView:
        nursery = self._nursery(nursery_id)
        nursery.close(data.effective_on, data.reason, actor)
        self._save(nursery)
        return self.registry.nursery(nursery.id)

    def refuse_if_closed(self, nursery_id: str, start_on: dt.date) -> None:
        """409 ``nursery_closed`` for an assignment starting on or after the nursery's closing date."""
        self.records.projector.catch_up("nursery_lifecycle")
        row = self.records.store.query_one(
            "SELECT effective_on FROM nursery_states WHERE nursery_id = ? AND status = 'closed'"
            " ORDER BY version DESC LIMIT 1", (nursery_id,),
        )
        if row is not None and start_on.isoformat() >= row["effective_on"]:
            raise Conflict(f"the nursery closed on {row['effective_on']}: nobody can be assigned there from then",
                           code="nursery_closed", nursery_id=nursery_id, closed_on=row["effective_on"])

    # Queries ----------------------------------------------------------------------------------

    def history(self, nursery_id: UUID) -> list[NurseryState]:
        """Every change of the nursery in the order recorded."""
        self.registry.nursery(nursery_id)  # 404
        rows = self.records.store.query(
            f"SELECT {STATE_COLUMNS} FROM nursery_states WHERE nursery_id = ? ORDER BY version", (str(nursery_id),))
        return [state_view(r) for r in rows]

    def on(self, day: dt.date, as_of: str | None = None) -> list[NurseryState]:
        """Every nursery opened by ``day``, as it stood then (as recorded at ``as_of``)."""
        self.records.projector.catch_up("nursery_lifecycle")
        return [state_view(r) for r in states_on(self.records.store, day.isoformat(), as_of)]

    def staff_at_closed(self, day: dt.date, *, visible_to: UUID | None = None) -> list[StaffAtClosedNursery]:
        """People with an assignment active on ``day`` at a nursery closed or suspended on ``day``."""
        self.records.projector.catch_up("registry", "certification", "nursery_lifecycle")
        shut = {r["nursery_id"]: r for r in states_on(self.records.store, day.isoformat()) if r["status"] != "open"}
        if visible_to is not None:
            shut = {k: v for k, v in shut.items() if k == str(visible_to)}
        if not shut:
            return []
        marks = ", ".join("?" for _ in shut)
        text = day.isoformat()
        rows = self.records.store.query(
            "SELECT a.assignment_id, a.staff_id, a.nursery_id, a.role, a.start_on, s.name FROM assignments a"
            " JOIN staff s ON s.staff_id = a.staff_id WHERE a.start_on <= ? AND (a.end_on IS NULL OR a.end_on >= ?)"
            f" AND a.nursery_id IN ({marks}) ORDER BY a.nursery_id, s.name, a.assignment_id",
            (text, text, *shut),
        )
        return [
            StaffAtClosedNursery(
                staff_id=r["staff_id"], name=r["name"], assignment_id=r["assignment_id"], role=r["role"],
                start_on=r["start_on"], nursery_id=r["nursery_id"], nursery_name=shut[r["nursery_id"]]["name"],
                status=shut[r["nursery_id"]]["status"], status_since=shut[r["nursery_id"]]["effective_on"],
            )
            for r in rows
        ]
