"""Vocational assessments (职业技能鉴定) posted by providers, and the training-fee subsidy they earn.

A provider posts each result: the person, the certificate type (保育员 ``nursery_worker`` or 育婴员
``infant_care``), the level (5 = 五级, the entry level, up to 1 = 一级), whether they passed
(鉴定合格) and when. Its id derives from the provider and the provider's own id of the result,
so a retry collides.

A passed assessment earns one subsidy **claim** per person, certificate type and level: the
first pass recorded (in log order) is the claim; a later pass of the same type and level earns
nothing more. The registrar records the payment of a claim, and may mark it unpaid again
(a transfer returned, a payment made in error) and pay it later: each is an event.
"""

from __future__ import annotations

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from shared.errors import Conflict

ASSESSMENT_NAMESPACE = uuid5(NAMESPACE_URL, "urn:carecred:training-assessment")
CLAIM_NAMESPACE = uuid5(NAMESPACE_URL, "urn:carecred:training-subsidy-claim")
CERTIFICATE_TYPES = ("nursery_worker", "infant_care")
"""保育员证 and 育婴员证, by the credential service's certificate-type codes."""
LEVELS = (1, 2, 3, 4, 5)
"""一级 (highest) to 五级 (entry)."""


def assessment_id_for(provider_id: UUID | str, event_id: str) -> UUID:
    return uuid5(ASSESSMENT_NAMESPACE, f"{provider_id}/{event_id}")


def claim_id_for(staff_id: str, certificate_type: str, level: int) -> UUID:
    """The one subsidy claim of a person for a certificate type and level."""
    return uuid5(CLAIM_NAMESPACE, f"{staff_id}/{certificate_type}/{level}")


class Assessment(Aggregate):
    """One assessment result, as its provider posted it."""

    TOPIC = "carecred.training:Assessment"

    class Event(Aggregate.Event):
        TOPIC = "carecred.training:Assessment.Event"
        actor: dict[str, Any]

    class Recorded(Event, Aggregate.Created):
        TOPIC = "carecred.training:Assessment.Recorded.v1"
        provider_id: str
        event_id: str
        staff_id: str
        certificate_type: str
        level: int
        passed: bool
        assessed_on: str

    @staticmethod
    def create_id(provider_id: str, event_id: str) -> UUID:
        return assessment_id_for(provider_id, event_id)

    @event(Recorded)
    def __init__(self, provider_id: str, event_id: str, staff_id: str, certificate_type: str, level: int,
                 passed: bool, assessed_on: str, actor: dict[str, Any]):
        self.provider_id = provider_id
        self.event_id = event_id
        self.staff_id = staff_id
        self.certificate_type = certificate_type
        self.level = level
        self.passed = passed
        self.assessed_on = assessed_on

    def same_as(self, staff_id: str, certificate_type: str, level: int, passed: bool, assessed_on: str) -> list[str]:
        """The fields in which a retry differs from what was recorded."""
        posted = dict(staff_id=staff_id, certificate_type=certificate_type, level=level, passed=passed,
                      assessed_on=assessed_on)
        return [name for name, value in posted.items() if getattr(self, name) != value]


class SubsidyPayment(Aggregate):
    """The payment of one subsidy claim (its id is the claim's): paid, marked unpaid, paid again."""

    TOPIC = "carecred.training:SubsidyPayment"

    class Event(Aggregate.Event):
        TOPIC = "carecred.training:SubsidyPayment.Event"
        actor: dict[str, Any]

    class Paid(Event, Aggregate.Created):
        TOPIC = "carecred.training:SubsidyPayment.Paid.v1"
        staff_id: str
        certificate_type: str
        level: int
        amount_fen: int
        reference: str
        paid_on: str

    class MarkedUnpaid(Event):
        TOPIC = "carecred.training:SubsidyPayment.MarkedUnpaid.v1"
        reason: str

    class PaidAgain(Event):
        TOPIC = "carecred.training:SubsidyPayment.PaidAgain.v1"
        amount_fen: int
        reference: str
        paid_on: str

    @staticmethod
    def create_id(staff_id: str, certificate_type: str, level: int) -> UUID:
        return claim_id_for(staff_id, certificate_type, level)

    @event(Paid)
    def __init__(self, staff_id: str, certificate_type: str, level: int, amount_fen: int, reference: str,
                 paid_on: str, actor: dict[str, Any]):
        self.paid = True

    def mark_unpaid(self, reason: str, actor: dict[str, Any]) -> None:
        if not self.paid:
            raise Conflict("the claim is not paid", code="not_paid", claim_id=str(self.id))
        self._marked_unpaid(reason=reason, actor=actor)

    @event(MarkedUnpaid)
    def _marked_unpaid(self, reason: str, actor: dict[str, Any]) -> None:
        self.paid = False

    def pay_again(self, amount_fen: int, reference: str, paid_on: str, actor: dict[str, Any]) -> None:
        if self.paid:
            raise Conflict("the claim is already paid", code="already_paid", claim_id=str(self.id))
        self._paid_again(amount_fen=amount_fen, reference=reference, paid_on=paid_on, actor=actor)

    @event(PaidAgain)
    def _paid_again(self, amount_fen: int, reference: str, paid_on: str, actor: dict[str, Any]) -> None:
        self.paid = True
