"""The envelope of a feed page: positions in commit order, never skipped, never reordered."""

from __future__ import annotations

import datetime as dt
from typing import Generic, TypeVar

import msgspec

E = TypeVar("E")


class FeedItem(msgspec.Struct, Generic[E], kw_only=True):
    """One public event at its position in the publishing service's log."""

    position: int
    recorded_at: dt.datetime
    event: E


class FeedPage(msgspec.Struct, Generic[E], kw_only=True):
    """Events after ``after`` in commit order; ask again with ``after=next_after``."""

    items: list[FeedItem[E]]
    next_after: int
    """The position to continue from (it may be past the last item: non-public events are skipped)."""
    head: int
    """The publisher's latest position when the page was read (lag = head - next_after)."""
