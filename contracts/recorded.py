"""The answer of a write whose change is stored but whose usual answer cannot be built now (202)."""

from __future__ import annotations

from typing import Literal

import msgspec



class Stored(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One stored event: whose, which version, what; its log position when known."""

    aggregate_id: str
    version: int
    topic: str
    position: int | None = None


class Unavailable(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Why the usual answer is missing: the problem the read after the save ran into."""

    status: int
    code: str
    detail: str = ""
    read_model: str | None = None


class Recorded(msgspec.Struct, kw_only=True):
    """202 Accepted: the events below are stored (the change happened); read the result again later."""

    status: Literal["recorded"]
    detail: str
    stored: list[Stored]
    unavailable: Unavailable
