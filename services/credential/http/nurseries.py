"""Nurseries: registered by the district registrar, seen by everyone with a key."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar.params import FromPath, JSONBody
from litestar import Controller, Request, get, post

from contracts.keys import Role
from contracts.registry import NewNursery, NurseryView
from services.credential.application import Credentials
from shared.auth.roles import Principal
from shared.http.auth import allow

READERS = (Role.ADMIN, Role.REGISTRAR, Role.HR, Role.INSPECTOR, Role.AUDITOR)


class NurseryController(Controller):
    """Nurseries (托育机构) and kindergartens with nursery classes."""

    path = "/v1/nurseries"
    tags = ["nurseries"]

    @post("/", guards=[allow(Role.REGISTRAR)], sync_to_thread=True)
    def register(self, data: JSONBody[NewNursery], request: Request[Principal, Any, Any]) -> NurseryView:
        """Register a nursery (registrar)."""
        service: Credentials = request.app.state.service
        return service.register_nursery(data, request.user.actor())

    @get("/", guards=[allow(*READERS)], sync_to_thread=True)
    def list_nurseries(self, request: Request[Principal, Any, Any]) -> list[NurseryView]:
        """Every nursery of the district."""
        return request.app.state.service.nurseries()

    @get("/{nursery_id:uuid}", guards=[allow(*READERS)], sync_to_thread=True)
    def get_nursery(self, nursery_id: FromPath[UUID], request: Request[Principal, Any, Any]) -> NurseryView:
        """One nursery."""
        return request.app.state.service.nursery(nursery_id)
