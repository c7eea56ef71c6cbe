"""The one text policy for every string a client sends that can reach an event.

Every text field of a command (see ``contracts.command.Command``) is, before it is checked:

1. NFC-normalised (so "é" typed as e + U+0301 and as U+00E9 are one value), then
2. trimmed of leading and trailing white space (Unicode White_Space, so U+3000 too).

It is then refused (422 naming the field) when it

- contains a control character (Cc: U+0000-U+001F, U+007F-U+009F; NUL included), except a
  line feed (U+000A) in the multi-line *prose* fields (reasons, notes, descriptions);
- contains a format character (Cf) — the ones that hide or reorder text: bidi embeddings,
  overrides and isolates (U+202A-U+202E, U+2066-U+2069), zero-width characters and marks
  (U+200B-U+200F), the byte-order mark (U+FEFF), the soft hyphen, invisible operators,
  tag characters (U+E0000 block) ...;
- contains a surrogate code point (a lone ``\\ud800`` escape), a line or paragraph separator
  (U+2028, U+2029);
- begins with a combining mark (so a value made only of combining marks is refused too);
- is empty after trimming (unless the field says it may be empty), or longer than the
  field's limit (counted in characters after normalisation).

The service stores the normalised value. Per-field rules (codes, ID numbers, certificate
numbers, event ids) are stated on each field's type. The patterns below state the same
character rules for schema readers (within the Basic Multilingual Plane, which is what
JSON Schema's regular expressions can express); ``refusal`` is what the service enforces.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Annotated, Any

import msgspec

LINE_FEED = "\n"
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})

# Control and format characters of the Basic Multilingual Plane (Unicode 15) as regular
# expression class bodies: C0 controls, then DEL, C1 controls and the format characters.
_C0 = r"\x00-\x1f"
_C0_BUT_LINE_FEED = r"\x00-\x09\x0b-\x1f"
_OTHERS = (
    r"\x7f-\x9f\xad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e"
    r"\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
)
LINE_PATTERN = rf"^[^{_C0}{_OTHERS}]*$"
"""One line: no control or format characters at all."""
PROSE_PATTERN = rf"^[^{_C0_BUT_LINE_FEED}{_OTHERS}]*$"
"""Prose: like a line, but line feeds are allowed."""


def refusing(more: str) -> str:
    """The one-line pattern refusing ``more`` too (a regular expression class body, e.g. ``\\s``)."""
    return rf"^[^{more}{_C0}{_OTHERS}]*$"


POLICY = (
    "Normalised by the service (NFC, trimmed); no control characters (NUL included) nor format characters"
    " (bidi overrides and isolates, zero-width characters, BOM, tags), no surrogates, line or paragraph"
    " separators; not beginning with a combining mark."
)
PROSE_POLICY = POLICY.replace("no control characters (NUL included)",
                              "no control characters other than line feed (NUL included)")


def normalise(text: str) -> str:
    """NFC, then without leading or trailing white space: the form the service stores."""
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    return text.strip()


def refusal(text: str, *, multiline: bool = False) -> str | None:
    """Why a normalised text breaks the policy, or None when it keeps it (length aside)."""
    if text.isascii():
        if text.isprintable():
            return None
        for ch in text:
            if (ch < " " or ch == "\x7f") and not (multiline and ch == LINE_FEED):
                return f"contains the control character {_name(ch)}"
        return None
    for ch in text:
        category = unicodedata.category(ch)
        if category in _REFUSED_CATEGORIES and not (multiline and ch == LINE_FEED):
            kind = "control" if category == "Cc" else "invisible or format"
            return f"contains the {kind} character {_name(ch)}"
    if unicodedata.category(text[0]).startswith("M"):
        return f"begins with the combining mark {_name(text[0])}"
    return None


def _name(ch: str) -> str:
    return f"U+{ord(ch):04X}" + (f" ({unicodedata.name(ch)})" if unicodedata.name(ch, "") else "")


@dataclass(frozen=True)
class TextRule:
    """What a text type asks beyond the policy: one line or prose, and its length in characters."""

    multiline: bool
    min_length: int
    max_length: int


def line(max_length: int, description: str, *, min_length: int = 1, pattern: str | None = None,
         ascii_form: bool = False) -> Any:
    """A one-line text type: the policy, a length limit, and a pattern if the field has a stricter form.

    ``ascii_form``: the pattern admits only a few ASCII characters (codes, ids), so the
    description need not repeat the policy (which still applies: the value is trimmed).
    """
    return Annotated[str, msgspec.Meta(
        min_length=min_length, max_length=max_length, pattern=pattern or LINE_PATTERN,
        description=f"{description} ({min_length}-{max_length} characters, one line)." + ("" if ascii_form else f" {POLICY}"),
        extra={"text": TextRule(False, min_length, max_length)},
    )]


def prose(max_length: int, description: str, *, min_length: int = 1) -> Any:
    """A free-text type (reasons, notes): line feeds allowed, otherwise the same policy."""
    return Annotated[str, msgspec.Meta(
        min_length=min_length, max_length=max_length, pattern=PROSE_PATTERN,
        description=f"{description} ({min_length}-{max_length} characters; line feeds allowed). {PROSE_POLICY}",
        extra={"text": TextRule(True, min_length, max_length)},
    )]


# The kinds of text the contracts use ---------------------------------------------------------

Name = line(100, "A person's name, or a town")
Title = line(200, "A name or title: nursery, course, provider, issuing body, API key")
Label = line(100, "A display name")
Reason = prose(1000, "Why, in words")
Note = prose(1000, "A note", min_length=0)

UUID_PATTERN = r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$"
Uuid = line(36, "A UUID, e.g. 6f1c0e0a-0000-4000-8000-000000000001", min_length=32, pattern=UUID_PATTERN, ascii_form=True)

IdNumber = line(30, (
    "A resident ID number (居民身份证号码, GB 11643-1999), never stored raw. Checked by the service"
    " (422 invalid_id_number): 17 digits and a check character (digit or X), a valid date of birth"
    " between 1900-01-01 and today, and a first-level region code (11-15, 21-23, 31-37, 41-46,"
    " 50-54, 61-65, 71, 81-83; or 9 and such a code, for foreigners' permanent residence cards)"
))
