"""Transfers: HR asks to employ a person who works elsewhere; that nursery's HR or the registrar answers."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, Parameter

from contracts.keys import Role
from contracts.transfers import (
    NewTransfer, TransferConsent, TransferRefusal, TransferStatus, TransferView, TransferWithdrawal,
)
from services.credential.application.transfers import Transfers
from shared.auth.roles import Principal
from shared.http.auth import allow
from shared.http.scope import acting_nursery, nursery_scope

ANSWERERS = (Role.REGISTRAR, Role.HR)
READERS = (Role.REGISTRAR, Role.HR, Role.AUDITOR)


class TransferController(Controller):
    """Transfers (聘用调动): hiring a person who works at another nursery, with that nursery's consent."""

    path = "/v1/transfers"
    tags = ["transfers"]

    @post("/", guards=[allow(Role.HR)], sync_to_thread=True)
    def request_transfer(
        self, transfers: NamedDependency[Transfers],
        data: JSONBody[NewTransfer], request: Request[Principal, Any, Any],
    ) -> TransferView:
        """Ask to employ a person who works at another nursery (after 409 ``employed_elsewhere``).

        409 ``consent_not_needed`` when nobody's agreement is needed, ``transfer_pending`` when this
        nursery already asked. The answer never says where the person works."""
        nursery_id = acting_nursery(request.user, data.nursery_id) or ""  # an hr key's own (403 for another)
        return transfers.request_transfer(data, nursery_id=nursery_id, actor=request.user.actor())

    @get("/", guards=[allow(*READERS)], sync_to_thread=True)
    def list_transfers(
        self, transfers: NamedDependency[Transfers],
        request: Request[Principal, Any, Any],
        status: Annotated[TransferStatus | None, Parameter(description="Only requests in this state")] = None,
        staff_id: Annotated[UUID | None, Parameter(description="Only requests for this person")] = None,
        after: Annotated[str, Parameter(description="Page after this transfer id", max_length=36,
                                        pattern=r"^[0-9a-fA-F-]*$")] = "",
        limit: Annotated[int, Parameter(ge=1, le=1000)] = 100,
    ) -> list[TransferView]:
        """Requests by transfer id; an hr key sees those its nursery made or must answer."""
        return transfers.transfers(visible_to=nursery_scope(request.user), status=status, staff_id=staff_id,
                                 after=after, limit=limit)

    @get("/{transfer_id:uuid}", guards=[allow(*READERS)], sync_to_thread=True)
    def get_transfer(
        self, transfers: NamedDependency[Transfers],
        transfer_id: FromPath[UUID], request: Request[Principal, Any, Any],
    ) -> TransferView:
        """One request (404 for an hr key of a nursery that neither asked nor must answer)."""
        return transfers.transfer(transfer_id, visible_to=nursery_scope(request.user))

    @post("/{transfer_id:uuid}/consent", guards=[allow(*ANSWERERS)], sync_to_thread=True, status_code=200)
    def consent(self, transfers: NamedDependency[Transfers], transfer_id: FromPath[UUID],
                data: JSONBody[TransferConsent], request: Request[Principal, Any, Any]) -> TransferView:
        """Agree, as a nursery the person works at or as the registrar; approved once every such nursery
        (or the registrar) has agreed (403 ``not_current_nursery``, 409 ``already_consented``, ``transfer_closed``)."""
        return transfers.consent_to_transfer(transfer_id, note=data.note, visible_to=nursery_scope(request.user),
                                           actor=request.user.actor())

    @post("/{transfer_id:uuid}/refuse", guards=[allow(*ANSWERERS)], sync_to_thread=True, status_code=200)
    def refuse(self, transfers: NamedDependency[Transfers], transfer_id: FromPath[UUID], data: JSONBody[TransferRefusal],
               request: Request[Principal, Any, Any]) -> TransferView:
        """Refuse, as a nursery the person works at or as the registrar (the reason is shown to the asker)."""
        return transfers.refuse_transfer(transfer_id, reason=data.reason, visible_to=nursery_scope(request.user),
                                       actor=request.user.actor())

    @post("/{transfer_id:uuid}/withdraw", guards=[allow(*ANSWERERS)], sync_to_thread=True, status_code=200)
    def withdraw(self, transfers: NamedDependency[Transfers], transfer_id: FromPath[UUID], data: JSONBody[TransferWithdrawal],
                 request: Request[Principal, Any, Any]) -> TransferView:
        """Withdraw, as the asking nursery or the registrar (403 ``not_requesting_nursery``)."""
        return transfers.withdraw_transfer(transfer_id, reason=data.reason, visible_to=nursery_scope(request.user),
                                         actor=request.user.actor())
