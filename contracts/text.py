"""Text fields people type: no control characters, no invisible direction overrides."""

from __future__ import annotations

from typing import Annotated

import msgspec

_PRINTABLE = r"^[^\x00-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]*$"

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=_PRINTABLE)]
Title = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=_PRINTABLE)]
Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=1000, pattern=_PRINTABLE)]
