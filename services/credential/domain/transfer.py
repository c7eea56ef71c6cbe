"""Hiring a person who works at another nursery (聘用调动) is a transfer the current nursery agrees to.

A nursery's HR may assign a person only if, on and after the start date, the person works at no
other nursery — or every nursery they work at (through its HR key), or the registrar, has agreed.
Until then the hiring nursery learns nothing about the person but that the conflict exists.

    Requested ──consent by each current nursery──▶ Approved
        │  └──consent by the registrar────────────▶ Approved
        ├──refused by a current nursery or the registrar──▶ Refused
        └──withdrawn by the requesting nursery (or the registrar)──▶ Withdrawn

Approval lets the requesting nursery see the person and assign them. It does not end the
person's other assignments: the person may work in both nurseries, or the current nursery ends
its assignment when they leave. A registrar's own assignment needs no transfer: the registrar is
the authority that could consent.
"""

from __future__ import annotations

from typing import Any, Iterable, Literal

from eventsourcing.domain import Aggregate, event

from shared.errors import Conflict, Forbidden

Status = Literal["pending", "approved", "refused", "withdrawn"]
REGISTRAR = None
"""``by_nursery`` of a decision taken by the registrar rather than a nursery's HR."""


def consent_needed_from(employers_elsewhere: Iterable[str], agreed: Iterable[str]) -> set[str]:
    """The nurseries that must still agree before the person is hired: those they work at
    (on or after the start date) whose agreement to this hiring nursery is not on record."""
    return set(employers_elsewhere) - set(agreed)


class Transfer(Aggregate):
    """A request by one nursery to employ a person who works at other nurseries, and its answer."""

    TOPIC = "carecred.credential:Transfer"

    class Event(Aggregate.Event):
        TOPIC = "carecred.credential:Transfer.Event"
        actor: dict[str, Any]

    class Requested(Event, Aggregate.Created):
        TOPIC = "carecred.credential:Transfer.Requested.v1"
        staff_id: str
        nursery_id: str
        """The nursery that wants to employ the person."""
        current_nursery_ids: list[str]
        """The nurseries whose agreement is needed: where the person works on or after ``start_on``."""
        start_on: str
        note: str

    class Consented(Event):
        TOPIC = "carecred.credential:Transfer.Consented.v1"
        by_nursery: str | None
        """The current nursery that agreed; None: the registrar."""
        note: str

    class Approved(Event):
        """Every current nursery, or the registrar, has agreed."""

        TOPIC = "carecred.credential:Transfer.Approved.v1"
        by_registrar: bool

    class Refused(Event):
        TOPIC = "carecred.credential:Transfer.Refused.v1"
        by_nursery: str | None
        reason: str

    class Withdrawn(Event):
        TOPIC = "carecred.credential:Transfer.Withdrawn.v1"
        by_nursery: str | None
        reason: str

    @event(Requested)
    def __init__(self, staff_id: str, nursery_id: str, current_nursery_ids: list[str], start_on: str, note: str,
                 actor: dict[str, Any]):
        self.staff_id = staff_id
        self.nursery_id = nursery_id
        self.current_nursery_ids = list(current_nursery_ids)
        self.start_on = start_on
        self.note = note
        self.consented: list[str] = []
        self.status: Status = "pending"

    @classmethod
    def request(cls, *, staff_id: str, nursery_id: str, current_nursery_ids: Iterable[str], start_on: str,
                note: str, actor: dict[str, Any]) -> Transfer:
        """Ask the current nurseries; a request that needs nobody's agreement is not a transfer."""
        current = sorted(set(current_nursery_ids) - {nursery_id})
        if not current:
            raise Conflict("the person works at no other nursery on or after the start date: assign them directly",
                           code="consent_not_needed", staff_id=staff_id)
        return cls(staff_id=staff_id, nursery_id=nursery_id, current_nursery_ids=current, start_on=start_on,
                   note=note, actor=actor)

    def consent(self, *, by_nursery: str | None, note: str, actor: dict[str, Any]) -> None:
        """Agree as one current nursery (``by_nursery``) or as the registrar (None)."""
        self._require_pending()
        if by_nursery is not REGISTRAR:
            self._require_current(by_nursery)
            if by_nursery in self.consented:
                raise Conflict("this nursery has already agreed", code="already_consented", transfer_id=str(self.id))
        self._consented(by_nursery=by_nursery, note=note, actor=actor)
        if by_nursery is REGISTRAR or not consent_needed_from(self.current_nursery_ids, self.consented):
            self._approved(by_registrar=by_nursery is REGISTRAR, actor=actor)

    def refuse(self, *, by_nursery: str | None, reason: str, actor: dict[str, Any]) -> None:
        """Refuse as one current nursery or as the registrar: the request is closed."""
        self._require_pending()
        if by_nursery is not REGISTRAR:
            self._require_current(by_nursery)
        self._refused(by_nursery=by_nursery, reason=reason, actor=actor)

    def withdraw(self, *, by_nursery: str | None, reason: str, actor: dict[str, Any]) -> None:
        """Withdraw as the requesting nursery (or the registrar): the request is closed."""
        self._require_pending()
        if by_nursery is not REGISTRAR and by_nursery != self.nursery_id:
            raise Forbidden("only the nursery that asked may withdraw the request", code="not_requesting_nursery")
        self._withdrawn(by_nursery=by_nursery, reason=reason, actor=actor)

    def _require_pending(self) -> None:
        if self.status != "pending":
            raise Conflict(f"the request is already {self.status}", code="transfer_closed",
                           transfer_id=str(self.id), transfer_status=self.status)

    def _require_current(self, nursery_id: str | None) -> None:
        if nursery_id not in self.current_nursery_ids:
            raise Forbidden("only a nursery the person works at may answer this request", code="not_current_nursery")

    @event(Consented)
    def _consented(self, by_nursery: str | None, note: str, actor: dict[str, Any]) -> None:
        if by_nursery is not None:
            self.consented.append(by_nursery)

    @event(Approved)
    def _approved(self, by_registrar: bool, actor: dict[str, Any]) -> None:
        self.status = "approved"

    @event(Refused)
    def _refused(self, by_nursery: str | None, reason: str, actor: dict[str, Any]) -> None:
        self.status = "refused"

    @event(Withdrawn)
    def _withdrawn(self, by_nursery: str | None, reason: str, actor: dict[str, Any]) -> None:
        self.status = "withdrawn"
