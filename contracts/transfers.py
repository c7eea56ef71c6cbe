"""Transfers (聘用调动): a nursery asks to employ a person who works at another nursery.

An hr key that assigns a person working elsewhere gets 409 ``employed_elsewhere``; it then asks
with ``NewTransfer``, the current nursery (its hr key) or the registrar consents or refuses, and
once approved the assignment is allowed. Until then the asking nursery sees only these views.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from contracts.command import Command
from contracts.dates import BusinessDate
from contracts.text import Reason, Uuid

TransferStatus = Literal["pending", "approved", "refused", "withdrawn"]


class NewTransfer(Command, kw_only=True):
    """Ask to employ a person from a date; the nurseries they work at then (or the registrar) must agree."""

    staff_id: Uuid
    nursery_id: Uuid | None = None
    """The nursery that wants to employ the person; for hr keys the key's own, and may be omitted."""
    start_on: BusinessDate
    """The first day the person would work at the asking nursery."""
    note: Reason | None = None
    """A message to the current nursery (shown to it and to the registrar)."""


class TransferConsent(Command, kw_only=True):
    """Agree that the asking nursery employs the person (their work here goes on unless ended)."""

    note: Reason | None = None


class TransferRefusal(Command, kw_only=True):
    """Refuse the request; the reason is shown to the asking nursery."""

    reason: Reason


class TransferWithdrawal(Command, kw_only=True):
    """Withdraw the request (the asking nursery, or the registrar)."""

    reason: Reason


class CurrentNursery(msgspec.Struct, kw_only=True):
    """A nursery the person works at, whose agreement the request needs."""

    nursery_id: str
    consented: bool


class TransferView(msgspec.Struct, kw_only=True):
    """A transfer request and where it stands."""

    transfer_id: str
    staff_id: str
    nursery_id: str
    """The asking nursery."""
    start_on: str
    note: str
    status: TransferStatus
    requested_at: str
    decided_at: str | None
    decided_by: Literal["current_nursery", "registrar", "requesting_nursery"] | None
    reason: str | None
    """Why it was refused or withdrawn."""
    current_nurseries: list[CurrentNursery] | None
    """The nurseries whose agreement is needed; None for the asking nursery's hr key, which
    learns nothing about the person's employment beyond the conflict."""
