"""The base of every request body: the text policy and date ranges, applied as it is built.

msgspec checks types, lengths and patterns while it decodes but cannot normalise. A
``Command`` does the rest in ``__post_init__``, which msgspec runs for every Struct it
decodes (and Python runs for every one built in code): each text field is normalised (NFC,
trimmed; see ``contracts.text``), checked against the policy and its length again, and each
date or instant is checked against its range (``contracts.dates``). What the service then
stores is the normalised value. A refusal is a ``FieldError`` (a ``ValueError``, which
msgspec turns into a ``ValidationError`` ending ``- field `name` - at `$.path```).

The rules come from the field's type: a field typed with ``contracts.text.line`` / ``prose``
(or a list of them) gets its text rule, one typed ``BusinessDate`` / ``Instant`` its range;
a plain ``str`` field gets the one-line policy with no length limit (the contract tests
refuse such a field, so it never ships).

What the log already holds was checked when it was recorded: code that decodes stored
content into a command type (the adopted role policy) does so inside ``as_stored()``, so a
rule added later can never make history unreadable.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import threading
import types
import typing
from typing import Any, Callable, Iterator

import msgspec

from contracts.dates import DateRange
from contracts.text import TextRule, normalise, refusal

_PLAIN = TextRule(multiline=False, min_length=0, max_length=2**31)


class FieldError(ValueError):
    """A field's value breaks the text policy or its range."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{message} - field `{field}`")
        self.field = field
        self.message = message


def checked_text(value: str, rule: TextRule, field: str) -> str:
    """The normalised text, or ``FieldError`` naming the field."""
    if value.isascii() and value.isprintable():  # most text: printable ASCII, nothing to normalise but spaces
        text = value.strip(" ")
    else:
        text = normalise(value)
        if (why := refusal(text, multiline=rule.multiline)) is not None:
            raise FieldError(field, why)
    if len(text) < rule.min_length:
        raise FieldError(field, "must not be empty" if text == "" else f"needs at least {rule.min_length} characters")
    if len(text) > rule.max_length:
        raise FieldError(field, f"has more than {rule.max_length} characters")
    return text


_STORED = contextvars.ContextVar("contracts_stored", default=False)


@contextlib.contextmanager
def as_stored() -> Iterator[None]:
    """Build commands from stored content (checked when recorded) without checking them again."""
    token = _STORED.set(True)
    try:
        yield
    finally:
        _STORED.reset(token)


class Command(msgspec.Struct, forbid_unknown_fields=True):
    """A request body: unknown fields refused, text normalised and checked, dates in range."""

    def __post_init__(self) -> None:
        if _STORED.get():
            return
        for name, check in _checks_of(type(self)):
            value = getattr(self, name)
            if value is None:
                continue
            new = check(value, name)
            if new is not value:
                msgspec.structs.force_setattr(self, name, new)


Check = Callable[[Any, str], Any]
_checks: dict[type, list[tuple[str, Check]]] = {}
_lock = threading.Lock()


def _checks_of(cls: type) -> list[tuple[str, Check]]:
    found = _checks.get(cls)
    if found is None:
        with _lock:
            hints = typing.get_type_hints(cls, include_extras=True)
            found = _checks[cls] = [
                (name, check) for name in cls.__struct_fields__  # type: ignore[attr-defined]
                if (check := check_for(hints[name])) is not None
            ]
    return found


def check_for(annotation: Any) -> Check | None:
    """The check a field of this type needs (None for types msgspec checks fully: numbers, enums, Structs)."""
    annotation = without_none(annotation)
    base, metas = unwrap(annotation)
    if typing.get_origin(base) is list:
        (item,) = typing.get_args(base)
        inner = check_for(item)
        return None if inner is None else _each(inner)
    if base is str:
        rule = next((m.extra["text"] for m in metas if m.extra and "text" in m.extra), _PLAIN)
        return lambda value, field: checked_text(value, rule, field)
    if base in (dt.date, dt.datetime):
        span: DateRange | None = next((m.extra["range"] for m in metas if m.extra and "range" in m.extra), None)
        return None if span is None else _in(span)
    return None


def _in(span: DateRange) -> Check:
    def check(value: Any, field: str) -> Any:
        if (why := span.refusal(value)) is not None:
            raise FieldError(field, why)
        return value
    return check


def _each(inner: Check) -> Check:
    def check(values: list[Any], field: str) -> list[Any]:
        checked = [inner(v, f"{field}[{i}]") for i, v in enumerate(values)]
        return values if all(a is b for a, b in zip(checked, values)) else checked
    return check


def without_none(annotation: Any) -> Any:
    """``X`` of ``X | None``; any other annotation as it is."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def unwrap(annotation: Any) -> tuple[Any, list[msgspec.Meta]]:
    """The type inside ``Annotated[...]`` layers, and the ``msgspec.Meta`` they carry."""
    metas: list[msgspec.Meta] = []
    while typing.get_origin(annotation) is typing.Annotated:
        metas += [m for m in annotation.__metadata__ if isinstance(m, msgspec.Meta)]
        annotation = annotation.__origin__
    return annotation, metas
