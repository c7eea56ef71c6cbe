"""Inspectors: registered by the registrar, made active or inactive, with declared conflicts of interest."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from contracts.inspections import InspectorActivity, InspectorView, NewConflict, NewInspector
from services.credential.application.common import uuid_field
from services.credential.domain.inspection import Inspector
from shared.application import ServiceApplication
from shared.errors import Conflict, Forbidden, Invalid, NotFound


class Inspectors:
    """Who may inspect, and where not."""

    def __init__(self, records: ServiceApplication):
        self.records = records

    def register(self, data: NewInspector, actor: dict[str, Any]) -> InspectorView:
        inspector = Inspector(name=data.name, unit=data.unit, actor=actor)
        self.records.save_and_project(inspector)
        return self.inspector(inspector.id)

    def set_active(self, inspector_id: UUID, data: InspectorActivity, actor: dict[str, Any]) -> InspectorView:
        inspector = self._get(inspector_id)
        if inspector.active == data.active:
            raise Conflict(f"the inspector is already {'active' if data.active else 'inactive'}", code="unchanged")
        (inspector.reactivate if data.active else inspector.deactivate)(reason=data.reason, actor=actor)
        self.records.save_and_project(inspector)
        return self.inspector(inspector_id)

    def declare_conflict(self, inspector_id: UUID, data: NewConflict, actor: dict[str, Any]) -> InspectorView:
        inspector = self._get(inspector_id)
        nursery_id = str(uuid_field(data.nursery_id, "nursery_id"))
        if self.records.store.query_one("SELECT 1 FROM nurseries WHERE nursery_id = ?", (nursery_id,)) is None:
            raise Invalid(f"no nursery with id {nursery_id}", field="nursery_id", code="unknown_nursery")
        if nursery_id in inspector.conflicts:
            raise Conflict("this conflict is already declared", code="conflict_declared")
        inspector.declare_conflict(nursery_id=nursery_id, reason=data.reason, actor=actor)
        self.records.save_and_project(inspector)
        return self.inspector(inspector_id)

    def _get(self, inspector_id: UUID) -> Inspector:
        self.records.projector.catch_up("registry", "inspections")
        if self.records.store.query_one("SELECT 1 FROM inspectors WHERE inspector_id = ?", (str(inspector_id),)) is None:
            raise NotFound(f"no inspector with id {inspector_id}")
        return self.records.repository.get(inspector_id)

    def inspector(self, inspector_id: UUID | str) -> InspectorView:
        self.records.projector.catch_up("inspections")
        row = self.records.store.query_one("SELECT * FROM inspectors WHERE inspector_id = ?", (str(inspector_id),))
        if row is None:
            raise NotFound(f"no inspector with id {inspector_id}")
        return self._view(row)

    def inspectors(self) -> list[InspectorView]:
        self.records.projector.catch_up("inspections")
        return [self._view(r) for r in self.records.store.query("SELECT * FROM inspectors ORDER BY name, inspector_id")]

    def _view(self, row: Any) -> InspectorView:
        conflicts = self.records.store.query(
            "SELECT nursery_id FROM inspector_conflicts WHERE inspector_id = ? ORDER BY nursery_id", (row["inspector_id"],))
        return InspectorView(inspector_id=row["inspector_id"], name=row["name"], unit=row["unit"],
                             active=bool(row["active"]), conflicts=[c["nursery_id"] for c in conflicts])

    def exists(self, inspector_id: str) -> bool:
        self.records.projector.catch_up("inspections")
        return self.records.store.query_one(
            "SELECT 1 FROM inspectors WHERE inspector_id = ?", (inspector_id,)) is not None

    def acting(self, scope: str | None) -> InspectorView:
        """The inspector an inspector key is scoped to, active (403 for an unscoped key or an inactive inspector)."""
        if scope is None:
            raise Forbidden("only an inspector key scoped to a registered inspector records inspections",
                            code="inspector_not_scoped")
        inspector = self.inspector(scope)
        if not inspector.active:
            raise Forbidden("this inspector is inactive", code="inspector_inactive")
        return inspector
