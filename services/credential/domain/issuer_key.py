"""The issuer key of portable credentials: an ES256 key of its own, never a badge key.

Badge keys sign CBOR for offline QR verifiers that pin a trust anchor; the portable credentials'
key is published in the issuer's DID document for any verifier on the web. Keeping them apart
lets either rotate or be withdrawn without touching the other (docs/credentials.md).

Each key is a ``IssuerKey`` aggregate whose id comes from its generation number, so two
replicas generating the first key at once collide in the event store and one of them wins.
The private half is a PEM file (0600) in ``<badge key dir>/issuer``, never in an event.
"""

from __future__ import annotations

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

ISSUER_KEY_NAMESPACE = uuid5(NAMESPACE_URL, "urn:carecred:portable-issuer-key")
ALGORITHM = "ES256"


def issuer_key_id_for(generation: int) -> UUID:
    return uuid5(ISSUER_KEY_NAMESPACE, str(generation))


class IssuerKey(Aggregate):
    """A key that signs portable credentials and status lists; the newest generation signs."""

    TOPIC = "carecred.credential:IssuerKey"

    class Event(Aggregate.Event):
        TOPIC = "carecred.credential:IssuerKey.Event"
        actor: dict[str, Any]

    class Generated(Event, Aggregate.Created):
        TOPIC = "carecred.credential:IssuerKey.Generated.v1"
        generation: int
        kid: str
        algorithm: str
        public_jwk: dict[str, str]
        """The public key as a JWK (RFC 7517), published in the DID document."""

    @staticmethod
    def create_id(generation: int, **_: Any) -> UUID:
        return issuer_key_id_for(generation)

    @event(Generated)
    def __init__(self, generation: int, kid: str, algorithm: str, public_jwk: dict[str, str], actor: dict[str, Any]):
        self.generation = generation
        self.kid = kid
        self.algorithm = algorithm
        self.public_jwk = public_jwk
