"""A certificate issued (or upgraded: a new certificate at the higher level) from a passed assessment.

The training service publishes each assessment result (职业技能鉴定, ``assessment.recorded.v1``);
the registrar issues the certificate through the usual path, giving its number and issuing body.
The link is an aggregate of its own whose id derives from the assessment's, saved in the same
transaction as the certificate: a second issue from the same assessment collides (409), and the
log says which assessment each certificate came from.
"""

from __future__ import annotations

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

ISSUANCE_NAMESPACE = uuid5(NAMESPACE_URL, "urn:carecred:certificate-from-assessment")

CERTIFICATE_TYPE_OF_ASSESSMENT = {
    "nursery_worker": "nursery_worker",  # 保育员 (保育师) assessment -> 保育师（保育员）职业技能等级证书
    "infant_care": "infant_care",  # 育婴员 assessment -> 育婴员职业技能等级证书
}
"""The one place the training service's assessment types meet the credential policy v2 certificate
types. They share codes today; a type missing here is listed but cannot be issued from."""


def issuance_id_for(assessment_id: str) -> UUID:
    """The one issuance an assessment can have."""
    return uuid5(ISSUANCE_NAMESPACE, assessment_id)


class CertificateFromAssessment(Aggregate):
    """Which certificate the registrar issued from which assessment."""

    TOPIC = "carecred.credential:CertificateFromAssessment"

    class Event(Aggregate.Event):
        TOPIC = "carecred.credential:CertificateFromAssessment.Event"
        actor: dict[str, Any]

    class Issued(Event, Aggregate.Created):
        TOPIC = "carecred.credential:CertificateFromAssessment.Issued.v1"
        assessment_id: str
        certificate_id: str
        holder_id: str
        cert_type: str
        level: int
        provider_id: str
        assessed_on: str

    @staticmethod
    def create_id(assessment_id: str) -> UUID:
        return issuance_id_for(assessment_id)

    @event(Issued)
    def __init__(self, assessment_id: str, certificate_id: str, holder_id: str, cert_type: str, level: int,
                 provider_id: str, assessed_on: str, actor: dict[str, Any]):
        self.assessment_id = assessment_id
        self.certificate_id = certificate_id
