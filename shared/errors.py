"""Domain errors: what a rule refused, with a stable code a client can branch on.

They know nothing of HTTP: the HTTP layer maps each class to a status
(``shared/http/problems.py``, ``STATUS_OF``); the CLI prints the detail.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A command was refused by a rule; nothing was changed."""

    code = "rule_violated"

    def __init__(self, detail: str, *, code: str | None = None, field: str | None = None, **extra: Any):
        super().__init__(detail)
        self.detail = detail
        if code:
            self.code = code
        self.field = field
        """The command's field at fault (a dotted path), if one is."""
        self.extra = extra


class Invalid(DomainError):
    """A field's value breaks a rule."""

    code = "invalid_field"


class NotFound(DomainError):
    """The named thing does not exist, or is not visible to the caller."""

    code = "not_found"


class Conflict(DomainError):
    """The command clashes with what is already recorded."""

    code = "conflict"


class Forbidden(DomainError):
    """The caller's role or scope does not allow this."""

    code = "forbidden"


class ReadModelStalled(DomainError):
    """The read model a request needs stopped at an event it cannot apply; see shared/read_model_stalls.py.

    Answering from it would give stale answers without saying so; nothing was changed.
    """

    code = "read_model_stalled"


class UntrustedLog(DomainError):
    """The stored log cannot be trusted at an event (forged, moved or removed rows): no read model passes it.

    Unlike a projection that fails on one event (that read model stalls alone, see
    ``shared/read_model_stalls.py``), such an event stops the whole projector before it, so no
    read model, Merkle leaf or checkpoint ever includes it; requests needing them answer 503.
    """

    code = "untrusted_log"
