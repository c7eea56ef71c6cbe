"""Nurseries: registered by the district registrar, seen by everyone with a key; their life by effective date."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar.params import FromPath, JSONBody
from litestar.di import NamedDependency
from litestar import Controller, Request, get, post

from contracts.keys import Role
from contracts.registry import (
    NewNursery, NurseryDetails, NurseryState, NurseryStatusChange, NurseryView, StaffAtClosedNursery,
)
from services.credential.application.nurseries import NurseryLifecycle
from services.credential.application.registry import Registry
from services.credential.http.dates import OnDate, on_or_today
from services.credential.application.recorded import stamp
from shared.auth.roles import Principal
from shared.http.auth import allow
from shared.http.params import AsOf, checked_instant
from shared.http.scope import nursery_scope

READERS = (Role.ADMIN, Role.REGISTRAR, Role.HR, Role.INSPECTOR, Role.AUDITOR)
REGISTRAR = allow(Role.REGISTRAR)


class NurseryController(Controller):
    """Nurseries (托育机构), kindergartens with nursery classes (幼儿园托班) and community points (社区托育点)."""

    path = "/v1/nurseries"
    tags = ["nurseries"]

    @post("/", guards=[REGISTRAR], sync_to_thread=True)
    def register(
        self, registry: NamedDependency[Registry],
        data: JSONBody[NewNursery], request: Request[Principal, Any, Any],
    ) -> NurseryView:
        """Register a nursery (registrar); ``opened_on`` and ``capacity`` record its opening."""
        return registry.register_nursery(data, request.user.actor())

    @get("/", guards=[allow(*READERS)], sync_to_thread=True)
    def list_nurseries(
        self, registry: NamedDependency[Registry],
        request: Request[Principal, Any, Any],
    ) -> list[NurseryView]:
        """Every nursery of the district, as recorded now."""
        return registry.nurseries()

    @get("/on", guards=[allow(*READERS)], sync_to_thread=True)
    def on_date(
        self, nursery_lifecycle: NamedDependency[NurseryLifecycle], request: Request[Principal, Any, Any],
        on: OnDate = None, as_of: AsOf = None,
    ) -> list[NurseryState]:
        """Every nursery opened by the date, as it stood then (open, suspended or closed); ``as_of``: as recorded then."""
        return nursery_lifecycle.on(on_or_today(on), stamp(checked_instant(as_of)))

    @get("/staff-at-closed", guards=[allow(Role.REGISTRAR, Role.HR, Role.AUDITOR)], sync_to_thread=True)
    def staff_at_closed(
        self, nursery_lifecycle: NamedDependency[NurseryLifecycle], request: Request[Principal, Any, Any],
        on: OnDate = None,
    ) -> list[StaffAtClosedNursery]:
        """People still assigned on the date at a nursery closed or suspended then (an hr key: its own nursery)."""
        return nursery_lifecycle.staff_at_closed(on_or_today(on), visible_to=nursery_scope(request.user))

    @get("/{nursery_id:uuid}", guards=[allow(*READERS)], sync_to_thread=True)
    def get_nursery(
        self, registry: NamedDependency[Registry],
        nursery_id: FromPath[UUID], request: Request[Principal, Any, Any],
    ) -> NurseryView:
        """One nursery."""
        return registry.nursery(nursery_id)

    @get("/{nursery_id:uuid}/history", guards=[allow(*READERS)], sync_to_thread=True)
    def history(
        self, nursery_lifecycle: NamedDependency[NurseryLifecycle],
        nursery_id: FromPath[UUID], request: Request[Principal, Any, Any],
    ) -> list[NurseryState]:
        """Every change of the nursery, in the order recorded, with the date each took effect."""
        return nursery_lifecycle.history(nursery_id)

    @post("/{nursery_id:uuid}/details", guards=[REGISTRAR], sync_to_thread=True, status_code=200)
    def change_details(
        self, nursery_lifecycle: NamedDependency[NurseryLifecycle], nursery_id: FromPath[UUID],
        data: JSONBody[NurseryDetails], request: Request[Principal, Any, Any],
    ) -> NurseryView:
        """New name, kind, ownership, inclusive status or places from a date (409 ``nursery_closed``)."""
        return nursery_lifecycle.change_details(nursery_id, data, request.user.actor())

    @post("/{nursery_id:uuid}/suspension", guards=[REGISTRAR], sync_to_thread=True, status_code=200)
    def suspend(
        self, nursery_lifecycle: NamedDependency[NurseryLifecycle], nursery_id: FromPath[UUID],
        data: JSONBody[NurseryStatusChange], request: Request[Principal, Any, Any],
    ) -> NurseryView:
        """Suspend the nursery from a date (409 ``already_suspended``, ``nursery_closed``)."""
        return nursery_lifecycle.suspend(nursery_id, data, request.user.actor())

    @post("/{nursery_id:uuid}/reopening", guards=[REGISTRAR], sync_to_thread=True, status_code=200)
    def reopen(
        self, nursery_lifecycle: NamedDependency[NurseryLifecycle], nursery_id: FromPath[UUID],
        data: JSONBody[NurseryStatusChange], request: Request[Principal, Any, Any],
    ) -> NurseryView:
        """Reopen a suspended nursery from a date (409 ``not_suspended``, ``nursery_closed``)."""
        return nursery_lifecycle.reopen(nursery_id, data, request.user.actor())

    @post("/{nursery_id:uuid}/closure", guards=[REGISTRAR], sync_to_thread=True, status_code=200)
    def close(
        self, nursery_lifecycle: NamedDependency[NurseryLifecycle], nursery_id: FromPath[UUID],
        data: JSONBody[NurseryStatusChange], request: Request[Principal, Any, Any],
    ) -> NurseryView:
        """Close the nursery from a date (409 ``nursery_closed``); its staff still assigned are flagged."""
        return nursery_lifecycle.close(nursery_id, data, request.user.actor())
