"""xAPI statements a provider's learning platform sent (the training service as a Learning Record Store).

A statement is stored once, exactly as sent (plus the ``id``, ``stored``, ``authority`` and
``version`` the LRS adds), with its attachments' content; it is never changed. Voiding is a
new statement naming the voided one. Whether it became a completion is decided when it is
stored and recorded with it: the completion's provider event id is the statement id.
"""

from __future__ import annotations

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

STATEMENT_NAMESPACE = uuid5(NAMESPACE_URL, "urn:carecred:training-xapi-statement")


def statement_key(provider_id: UUID | str, statement_id: str) -> UUID:
    """The aggregate id of a provider's statement (each provider has its own statement ids)."""
    return uuid5(STATEMENT_NAMESPACE, f"{provider_id}/{statement_id}")


class Statement(Aggregate):
    """One xAPI statement as stored by the LRS for one provider."""

    TOPIC = "carecred.training:Statement"

    class Event(Aggregate.Event):
        TOPIC = "carecred.training:Statement.Event"
        actor: dict[str, Any]

    class Stored(Event, Aggregate.Created):
        TOPIC = "carecred.training:Statement.Stored.v1"
        provider_id: str
        statement_id: str
        statement: str
        """The statement as stored: canonical JSON text, as returned in the ``exact`` format."""
        attachments: dict[str, str]
        """Attachment content sent with it, base64 by SHA-256 (hex) of the raw bytes."""
        voids: str | None
        """The statement id this one voids (a voiding statement), else None."""
        completion_id: str | None
        """The completion recorded from it, else None."""
        not_counted: str | None
        """Why it did not become a completion (None when it did, and for voiding statements)."""

    @staticmethod
    def create_id(provider_id: str, statement_id: str) -> UUID:
        return statement_key(provider_id, statement_id)

    @event(Stored)
    def __init__(
        self, provider_id: str, statement_id: str, statement: str, attachments: dict[str, str],
        voids: str | None, completion_id: str | None, not_counted: str | None, actor: dict[str, Any],
    ):
        self.provider_id = provider_id
        self.statement_id = statement_id
        self.statement = statement
        self.attachments = attachments
        self.voids = voids
        self.completion_id = completion_id
        self.not_counted = not_counted
