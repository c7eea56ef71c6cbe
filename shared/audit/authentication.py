"""Every stored event carries a tag that only the service can compute (HMAC-SHA256).

Someone who can write to the database but does not hold the service's secret (a leaked
database password, a backup restored by the wrong person, a direct ``INSERT`` as the
service's own role) can append rows to the event table, copy rows, or move them; none of
those rows carries a tag the service would compute for it, so the service refuses to load,
project or checkpoint it and ``carecred audit verify`` names it (docs/audit.md).

What is stored, instead of the bytes eventsourcing would store (``inner``: the JSON body,
or its AES-GCM ciphertext when ``CARECRED_CIPHER_KEY`` is set)::

    state = b"CCE1" || tag (32 bytes) || inner
    tag   = HMAC-SHA256(K, "carecred-event/v1" || 0x00 || aggregate id (16 bytes)
                           || version (8 bytes, big-endian) || len(topic) (2 bytes, big-endian)
                           || topic (UTF-8) || inner)
    K     = HKDF-SHA256(CARECRED_CHECKPOINT_KEY, info = "carecred event-authentication <service>")

So the tag binds the stored bytes to their aggregate, version and topic: a copy under another
aggregate id or version, a swapped topic, or a changed byte no longer authenticates. The log
position is not bound (the database assigns it on insert, after the tag is computed); the
order of one aggregate's events is bound by the version, the order of the whole log by the
Merkle leaves and the signed checkpoints. The tag travels inside ``state``, so the Merkle leaf,
which hashes the stored bytes, commits to it as well, and a group commit of many events
needs no extra round trip. Events stored before this format existed are handled by
``shared.audit.legacy``.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any
from uuid import UUID

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Mapper, MapperDeserialisationError, StoredEvent

from shared.errors import DomainError, UntrustedLog
from shared.metrics import EVENTS_REFUSED

if TYPE_CHECKING:
    from shared.audit.legacy import LegacySeal

MAGIC = b"CCE1"
TAG_SIZE = 32
_HEADER = len(MAGIC) + TAG_SIZE
_DOMAIN = b"carecred-event/v1\x00"

log = logging.getLogger("carecred.audit")


def derive_key(secret: bytes, service: str, purpose: str) -> bytes:
    """A 32-byte key for one purpose of one service, from the deployment's audit secret."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=f"carecred {purpose} {service}".encode()).derive(secret)


class EventNotAuthenticated(MapperDeserialisationError, UntrustedLog):
    """A stored event does not carry the service's tag: it was not written by the service.

    A ``MapperDeserialisationError`` for code that handles events which do not decode, and a
    ``DomainError`` so that a request touching it is answered 503 ``event_not_authenticated``.
    """

    code = "event_not_authenticated"

    def __init__(self, aggregate_id: Any, version: int, reason: str, position: int | None = None):
        self.aggregate_id = str(aggregate_id)
        self.version = version
        self.reason = reason
        self.position = position
        where = f"at position {position}" if position is not None else f"of aggregate {aggregate_id}, version {version}"
        DomainError.__init__(self, f"the stored event {where} is not authenticated ({reason});"
                                   " it was not written by this service")


class EventAuthenticator:
    """Computes and checks the tags of one service's stored events."""

    def __init__(self, secret: bytes, service: str):
        self.service = service
        self._key = derive_key(secret, service, "event-authentication")
        self._base = hmac.HMAC(self._key, hashes.SHA256())

    def _mac(self, aggregate_id: UUID | str, version: int, topic: str, inner: bytes) -> hmac.HMAC:
        aggregate = aggregate_id if isinstance(aggregate_id, UUID) else UUID(str(aggregate_id))
        topic_bytes = topic.encode()
        mac = self._base.copy()
        mac.update(_DOMAIN + aggregate.bytes + version.to_bytes(8, "big", signed=True)
                   + len(topic_bytes).to_bytes(2, "big") + topic_bytes)
        mac.update(inner)
        return mac

    def tag(self, aggregate_id: UUID | str, version: int, topic: str, inner: bytes) -> bytes:
        return self._mac(aggregate_id, version, topic, inner).finalize()

    def wrap(self, aggregate_id: UUID | str, version: int, topic: str, inner: bytes) -> bytes:
        """The bytes to store: the marker, the tag and ``inner``."""
        return MAGIC + self.tag(aggregate_id, version, topic, inner) + inner

    def unwrap(self, aggregate_id: UUID | str, version: int, topic: str, state: bytes) -> tuple[bytes | None, str]:
        """(inner bytes, "") when ``state`` authenticates, else (None, why not)."""
        if len(state) < _HEADER or state[: len(MAGIC)] != MAGIC:
            return None, "it carries no authentication tag"
        inner = state[_HEADER:]
        try:
            self._mac(aggregate_id, version, topic, inner).verify(state[len(MAGIC):_HEADER])
        except InvalidSignature:
            return None, "its authentication tag does not match its aggregate, version, topic and bytes"
        except (ValueError, OverflowError):
            return None, "its aggregate id or version is malformed"
        return inner, ""

    def seal_tag(self, aggregate: str, last_version: int) -> str:
        """The tag of one row of the legacy seal (``shared.audit.legacy``), hex."""
        mac = self._base.copy()
        mac.update(b"carecred-legacy-seal/v1\x00" + aggregate.encode() + b"\x00" + str(last_version).encode())
        return mac.finalize().hex()


def without_tag(state: bytes) -> bytes:
    """The inner bytes of a stored event for reading only (no check): what follows the tag, if any."""
    return state[_HEADER:] if len(state) >= _HEADER and state[: len(MAGIC)] == MAGIC else state


class AuthenticatingMapper(Mapper[UUID]):
    """eventsourcing's mapper, storing each event with its tag and refusing any event without a valid one.

    The application sets ``authenticator`` (and, for stores that hold events from before
    authentication, ``seal``) right after constructing it. Every path from stored bytes to a
    domain event goes through ``to_domain_event``: loading an aggregate, the projector, the feed.
    """

    authenticator: EventAuthenticator
    seal: LegacySeal | None = None

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._reported: set[tuple[str, int]] = set()
        self._report_lock = threading.Lock()

    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        stored = super().to_stored_event(domain_event)
        return StoredEvent(
            originator_id=stored.originator_id, originator_version=stored.originator_version, topic=stored.topic,
            state=self.authenticator.wrap(stored.originator_id, stored.originator_version, stored.topic, stored.state),
        )

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        inner = self.authenticated_state(stored_event)
        return super().to_domain_event(StoredEvent(
            originator_id=stored_event.originator_id, originator_version=stored_event.originator_version,
            topic=stored_event.topic, state=inner,
        ))

    def authenticate(self, aggregate_id: UUID | str, version: int, topic: str, state: bytes,
                position: int | None = None) -> tuple[bytes | None, str]:
        """(inner bytes, "") if the service wrote this event, else (None, why not).

        An event without a valid tag is accepted only if the legacy seal covers it: an event
        stored before the service authenticated its events (see ``shared.audit.legacy``).
        """
        inner, why = self.authenticator.unwrap(aggregate_id, version, topic, state)
        if inner is not None:
            return inner, ""
        if self.seal is not None and self.seal.covers(aggregate_id, version, position):
            return state, ""
        return None, why

    def authenticated_state(self, stored: StoredEvent) -> bytes:
        """The inner bytes of a stored event the service wrote; raise ``EventNotAuthenticated`` otherwise."""
        position = getattr(stored, "id", None)  # a Notification knows its log position
        inner, why = self.authenticate(stored.originator_id, stored.originator_version, stored.topic, bytes(stored.state),
                                  position)
        if inner is None:
            self._report(stored, why, position)
            raise EventNotAuthenticated(stored.originator_id, stored.originator_version, why, position)
        return inner

    def _report(self, stored: StoredEvent, why: str, position: int | None) -> None:
        """Count every refusal; log each refused event once per process (it is refused on every try)."""
        service = self.authenticator.service
        EVENTS_REFUSED.labels(service).inc()
        key = (str(stored.originator_id), stored.originator_version)
        with self._report_lock:
            if key in self._reported:
                return
            if len(self._reported) >= 10_000:  # a flood of forgeries: keep logging, in bounded memory
                self._reported.clear()
            self._reported.add(key)
        log.error("refused a stored event that is not authenticated", extra={
            "service": service, "position": position, "aggregate_id": key[0], "version": key[1],
            "topic": stored.topic, "reason": why,
        })
