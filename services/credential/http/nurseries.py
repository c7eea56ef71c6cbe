"""Nurseries: registered by the district registrar, seen by everyone with a key."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar.params import FromPath, JSONBody
from litestar.di import NamedDependency
from litestar import Controller, Request, get, post

from contracts.keys import Role
from contracts.registry import NewNursery, NurseryView
from services.credential.application.registry import Registry
from shared.auth.roles import Principal
from shared.http.auth import allow

READERS = (Role.ADMIN, Role.REGISTRAR, Role.HR, Role.INSPECTOR, Role.AUDITOR)


class NurseryController(Controller):
    """Nurseries (托育机构) and kindergartens with nursery classes."""

    path = "/v1/nurseries"
    tags = ["nurseries"]

    @post("/", guards=[allow(Role.REGISTRAR)], sync_to_thread=True)
    def register(
        self, registry: NamedDependency[Registry],
        data: JSONBody[NewNursery], request: Request[Principal, Any, Any],
    ) -> NurseryView:
        """Register a nursery (registrar)."""
        return registry.register_nursery(data, request.user.actor())

    @get("/", guards=[allow(*READERS)], sync_to_thread=True)
    def list_nurseries(
        self, registry: NamedDependency[Registry],
        request: Request[Principal, Any, Any],
    ) -> list[NurseryView]:
        """Every nursery of the district."""
        return registry.nurseries()

    @get("/{nursery_id:uuid}", guards=[allow(*READERS)], sync_to_thread=True)
    def get_nursery(
        self, registry: NamedDependency[Registry],
        nursery_id: FromPath[UUID], request: Request[Principal, Any, Any],
    ) -> NurseryView:
        """One nursery."""
        return registry.nursery(nursery_id)
