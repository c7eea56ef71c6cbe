"""Hypothesis strategies for hostile request bodies, built from the contracts' own types.

``body_for(T, pools)`` walks a request type with ``msgspec.inspect`` and draws a JSON object
for it in two steps: an ordinary body (real ids and codes from ``pools`` by field name, plain
names and recent dates elsewhere), then, most of the time, one of its values broken — hostile
text (NUL, controls, bidi, combining marks, U+3000, huge strings, any surrogate-free Unicode),
a date or instant from year 1 to 9999 or in an odd ISO form, an extreme number, a wrong type —
an unknown key added, or one hostile character slipped into every free text of the body.
``encoded`` writes the JSON by hand and now and then repeats a key. So most bodies break in
one place and reach the rules behind the type checks.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Mapping

import msgspec
from hypothesis import strategies as st

THE_ISSUES_LIST = ["王\x00芳", "\x00", "E\x00", "\x00a", "王\u202e芳", "\u202eSOU", "   ", "\u3000", "\u3000\u3000",
                   "\u0301\u0301", "王\u2066芳", "\ufeff王", "王\n芳", "\x1b[31m", "王芳\U000e0041"]
HOSTILE_PIECES = ["\x00", "\u202e", "\u2066", "\u2069", "\u200b", "\u200d", "\ufeff", "\u3000", "\n", "\t", "\r",
                  "\x85", "\u2028", "\u0301", "\u20dd", "\U000e0041", "\x7f", "\u00ad", "\x1b"]
ORDINARY_WORDS = ["王丽华", "李娜", "上海开放大学", "迟到", "Zhang Wei", "体罚幼儿\n第二次", " 朱泾镇 ", "Jose\u0301", "SK01",
                  "JK-2025-9", "SOU-7"]


def _insert(parts: tuple[str, str, int]) -> str:
    text, piece, at = parts
    at = at % (len(text) + 1)
    return text[:at] + piece + text[at:]


hostile_text = st.one_of(
    st.sampled_from(THE_ISSUES_LIST),
    st.sampled_from(THE_ISSUES_LIST),
    st.tuples(st.sampled_from(ORDINARY_WORDS), st.sampled_from(HOSTILE_PIECES), st.integers(0, 20)).map(_insert),
    st.text(max_size=24),  # any Unicode but surrogates (Hypothesis leaves them out)
    st.lists(st.sampled_from(HOSTILE_PIECES), min_size=1, max_size=6).map("".join),
    st.sampled_from(["", "x" * 5000, "王" * 1001, "a" * 101]),
)
dates = st.one_of(
    st.sampled_from(["0001-01-01", "9999-12-31", "1899-12-31", "1900-01-01", "2200-12-31", "2201-01-01"]),
    st.dates().map(dt.date.isoformat),  # 0001-01-01 .. 9999-12-31
    st.sampled_from(["2026-W05-3", "2025-181", "20250630", "2025-02-30", "2025-06-30T00:00:00Z", "\x00"]),
)
instants = st.one_of(
    st.sampled_from(["9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00", "2026-W05-3T10:00:00+08:00",
                     "2025-06-30T14:00:00", "2025-06-30T14:00+08:00", "2025-06-30T14:00:00+08:00"]),
    st.datetimes(timezones=st.one_of(st.none(), st.timezones())).map(dt.datetime.isoformat),
)
numbers = st.one_of(st.sampled_from([0, -1, 0.5, 7.3, 1e308, 240, 241, 2**63, float("inf"), float("nan")]),
                    st.integers(-2**70, 2**70), st.floats())
wrong_types = st.sampled_from([None, True, [], {}, "not a list", [None]])
broken = st.integers(0, 4).flatmap(lambda i: [hostile_text, hostile_text, hostile_text, st.one_of(dates, instants),
                                              st.one_of(numbers, wrong_types)][i])

plain_text = st.one_of(st.sampled_from(ORDINARY_WORDS),
                       st.text(st.characters(categories=["L", "N", "Zs"]), min_size=1, max_size=12))
recent_dates = st.dates(dt.date(2020, 1, 1), dt.date(2027, 12, 31)).map(dt.date.isoformat)
recent_instants = st.datetimes(dt.datetime(2024, 1, 1), dt.datetime(2026, 1, 1)).map(
    lambda d: d.replace(microsecond=0, tzinfo=dt.timezone(dt.timedelta(hours=8))).isoformat())


def body_for(annotation: Any, pools: Mapping[str, list[Any]]) -> st.SearchStrategy[Any]:
    """A strategy of JSON values for a request type: ordinary, then (usually) broken in one place."""
    info = msgspec.inspect.type_info(annotation)
    return _broken_once(_ordinary(info, "", pools), frozenset(_free_text(info)))


def _free_text(info: Any) -> set[str]:
    """The names of the fields that take free text (not a code, id or other fixed form), at any depth."""
    mi = msgspec.inspect
    found: set[str] = set()
    for field in getattr(info, "fields", ()):
        kind = field.type
        while isinstance(kind, (mi.Metadata, mi.UnionType, mi.ListType)):
            kind = kind.type if isinstance(kind, mi.Metadata) else kind.item_type if isinstance(kind, mi.ListType) \
                else next(t for t in kind.types if not isinstance(t, mi.NoneType))
        if isinstance(kind, mi.StrType) and (kind.pattern is None or kind.pattern.startswith("^[^")):
            found.add(field.encode_name)
        found |= _free_text(kind)
    return found


def _ordinary(info: Any, name: str, pools: Mapping[str, list[Any]]) -> st.SearchStrategy[Any]:
    mi = msgspec.inspect
    if isinstance(info, mi.Metadata):
        info = info.type
    if pools.get(name) and isinstance(info, (mi.StrType, mi.DateType, mi.DateTimeType, mi.IntType, mi.FloatType)):
        return st.sampled_from(pools[name])
    if isinstance(info, mi.StructType):
        required = {f.encode_name: _ordinary(f.type, f.encode_name, pools) for f in info.fields if f.required}
        optional = {f.encode_name: _ordinary(f.type, f.encode_name, pools) for f in info.fields if not f.required}
        return st.fixed_dictionaries(required, optional=optional)
    if isinstance(info, mi.UnionType):
        return st.one_of(*(_ordinary(t, name, pools) for t in info.types))
    if isinstance(info, mi.ListType):
        item = pools.get(name)
        return st.lists(st.sampled_from(item) if item else _ordinary(info.item_type, name, pools), max_size=3,
                        unique_by=lambda v: json.dumps(v, sort_keys=True))
    if isinstance(info, (mi.LiteralType, mi.EnumType)):
        return st.sampled_from(sorted(info.values if isinstance(info, mi.LiteralType) else [m.value for m in info.cls]))
    simple = {mi.NoneType: st.none(), mi.StrType: plain_text, mi.DateType: recent_dates,
              mi.DateTimeType: recent_instants, mi.IntType: st.integers(1, 12), mi.FloatType: st.integers(1, 12),
              mi.BoolType: st.booleans()}
    return simple.get(type(info), st.none())


def _paths(value: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON value that can be replaced: object members and list items."""
    found = [at] if at else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*at, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += _paths(item, (*at, i))
    return found


def _replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: _replaced(value[head], rest, new)}
    return [_replaced(v, rest, new) if i == head else v for i, v in enumerate(value)]


def _tainted(value: Any, piece: str, free_text: frozenset[str], name: str = "") -> Any:
    """Every free text in the value with the same hostile piece inside it."""
    if isinstance(value, str) and name in free_text:
        return _insert((value, piece, len(value) // 2))
    if isinstance(value, dict):
        return {k: _tainted(v, piece, free_text, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_tainted(v, piece, free_text, name) for v in value]
    return value


def _broken_once(ordinary: st.SearchStrategy[Any], free_text: frozenset[str]) -> st.SearchStrategy[Any]:
    @st.composite
    def draw_one(draw: Any) -> Any:
        value = draw(ordinary)
        # Hypothesis draws the first choice first (and shrinks towards it): so every route's first body
        # has NUL in each of its free texts, the issue's poison.
        how = draw(st.sampled_from(["tainted", "as is", "broken", "broken", "broken, unknown key"]))
        places = _paths(value)
        if how.startswith("broken") and places:
            value = _replaced(value, draw(st.sampled_from(places)), draw(broken))
        if how == "broken, unknown key" and isinstance(value, dict):
            value = {**value, "extra": draw(hostile_text)}
        if how == "tainted":
            value = _tainted(value, draw(st.sampled_from(HOSTILE_PIECES)), free_text)
        return value
    return draw_one()


@st.composite
def encoded(draw: Any, value: st.SearchStrategy[Any]) -> bytes:
    """A drawn value as JSON text; now and then one key of an object appears twice."""
    return _json(draw(value), draw).encode("utf-8")


def _json(value: Any, draw: Any) -> str:
    if isinstance(value, dict):
        pairs = [(k, _json(v, draw)) for k, v in value.items()]
        if pairs and draw(st.integers(0, 9)) == 9:  # repeat a key with another value
            key = draw(st.sampled_from([k for k, _ in pairs]))
            pairs.append((key, _json(draw(hostile_text), draw)))
        return "{" + ", ".join(f"{json.dumps(k)}: {v}" for k, v in pairs) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_json(v, draw) for v in value) + "]"
    return json.dumps(value, ensure_ascii=draw(st.booleans()) if isinstance(value, str) else True)
