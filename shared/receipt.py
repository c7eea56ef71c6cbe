"""What the current request has stored, so that a request that changed something is answered with success.

The HTTP layer gives each request an empty receipt (``shared/http/recorded.py``); every
``save`` made on the request's behalf adds what it stored. Once events are stored the change
has happened: if building the usual answer then fails (a stalled read model, the database
going away between the save and the read), the request is answered 202 with the receipt
instead of an error that would wrongly tell the client nothing changed.
"""

from __future__ import annotations

import contextvars
from contextlib import contextmanager
from typing import Any, Iterable, Iterator

from contracts.recorded import Stored

RECEIPT: contextvars.ContextVar[list[Stored] | None] = contextvars.ContextVar("carecred_receipt", default=None)


def note(recordings: Iterable[Any]) -> None:
    """Add the library's ``Recording``s of a save to the current request's receipt (if there is a request)."""
    receipt = RECEIPT.get()
    if receipt is None:
        return
    for r in recordings:
        receipt.append(Stored(aggregate_id=str(r.domain_event.originator_id), version=r.domain_event.originator_version,
                              topic=r.notification.topic, position=r.notification.id))


def note_stored(stored: Stored) -> None:
    """Add one stored event saved for this request by another thread (the group-commit writer)."""
    receipt = RECEIPT.get()
    if receipt is not None:
        receipt.append(stored)


@contextmanager
def not_the_requests() -> Iterator[None]:
    """Saves made inside are the system's own (the default policy adopted on first use), not the request's."""
    token = RECEIPT.set(None)
    try:
        yield
    finally:
        RECEIPT.reset(token)
