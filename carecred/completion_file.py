"""A provider's completions file (CSV with a header row, or JSON lines), each line checked as the service would.

Every line is decoded into ``contracts.training.NewCompletion`` exactly as the bulk route's
body is (``shared.http.strict``: each key once, finite numbers, strict types, the text policy),
so a line the service would refuse as a whole body is caught here, named by its line number
and field, and never sent. The values the service checks per item (person, course, hours,
time) are answered by the service itself.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

import msgspec
from litestar.exceptions import HTTPException, ValidationException

from contracts.training import NewCompletion
from shared.http.problems import field_of_msgspec_error, printable
from shared.http.strict import parse_json

FORMATS = ("csv", "jsonl")
_EXTENSIONS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl"}
COLUMNS = tuple(NewCompletion.__struct_fields__)
REQUIRED = tuple(f.name for f in msgspec.structs.fields(NewCompletion) if f.required)


class FileError(Exception):
    """The file as a whole cannot be read: missing, unknown format, a bad CSV header."""


@dataclass(frozen=True)
class Refusal:
    """Why a line is not sent: a stable code, the field at fault ("" for the whole line), a message."""

    code: str
    field: str
    message: str


@dataclass(frozen=True)
class Line:
    """One completion of the file: its line number, its event id as written, and the checked item or why not."""

    number: int
    event_id: str | None
    item: NewCompletion | None = None
    refusal: Refusal | None = None


def format_of(path: Path, given: str | None) -> str:
    """The format named by ``--format`` or by the file's extension."""
    if given:
        return given
    found = _EXTENSIONS.get(path.suffix.lower())
    if found is None:
        raise FileError(f"cannot tell the format of {path} from its extension: give --format csv or --format jsonl")
    return found


def read_completions(path: Path, fmt: str) -> list[Line]:
    """Every completion of the file, in order, each checked; blank lines are skipped."""
    try:
        if fmt == "csv":
            with path.open(encoding="utf-8-sig", errors="surrogateescape", newline="") as text:
                return list(_csv_lines(text))
        with path.open("rb") as raw:
            return list(_json_lines(raw))
    except OSError as exc:
        raise FileError(f"cannot read {path}: {exc.strerror or exc}") from None
    except csv.Error as exc:
        raise FileError(f"{path} is not readable CSV: {exc}") from None


def _csv_lines(text: Iterable[str]) -> Iterator[Line]:
    reader = csv.reader(text)
    header = next(reader, None)
    if header is None:
        raise FileError("the CSV file is empty: it needs a header row naming the columns")
    columns = [name.strip() for name in header]
    unknown = [c for c in columns if c not in COLUMNS]
    if unknown:
        raise FileError(f"unknown CSV column(s) {', '.join(map(repr, unknown))}; the columns are {', '.join(COLUMNS)}")
    if len(set(columns)) != len(columns):
        raise FileError("a CSV column is named twice in the header")
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise FileError(f"the CSV header lacks the column(s) {', '.join(missing)}")
    while True:
        number = reader.line_num + 1  # where the record starts (a quoted cell may span lines)
        row = next(reader, None)
        if row is None:
            return
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(columns):
            yield Line(number, None, refusal=Refusal(
                "malformed_line", "", f"has {len(row)} cells but the header names {len(columns)} columns"))
            continue
        fields: dict[str, Any] = {c: cell for c, cell in zip(columns, row) if cell != ""}
        if "class_hours" in fields:
            hours = _number(fields["class_hours"])
            if hours is None:
                yield Line(number, _shown(fields.get("event_id")),
                           refusal=Refusal("validation_failed", "class_hours", "is not a number"))
                continue
            fields["class_hours"] = hours
        yield checked(number, fields)


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _json_lines(raw: Iterable[bytes]) -> Iterator[Line]:
    for number, data in enumerate(raw, start=1):
        if not data.strip():
            continue
        try:
            value = parse_json(data)
        except ValidationException as exc:  # a key given twice
            (error,) = exc.extra or [{"key": "", "message": exc.detail}]  # type: ignore[misc]
            yield Line(number, None, refusal=Refusal("validation_failed", str(error["key"]), str(error["message"])))
            continue
        except HTTPException as exc:
            yield Line(number, None, refusal=Refusal("malformed_line", "", exc.detail.replace("The body", "The line", 1)))
            continue
        if not isinstance(value, dict):
            yield Line(number, None, refusal=Refusal("malformed_line", "", "is not a JSON object"))
            continue
        yield checked(number, value)


def checked(number: int, fields: dict[str, Any]) -> Line:
    """The line as the service's body type, or the field at fault and why."""
    event_id = _shown(fields.get("event_id"))
    try:
        item = msgspec.convert(fields, NewCompletion, strict=True)
    except msgspec.ValidationError as exc:
        field, message = field_of_msgspec_error(str(exc))
        return Line(number, event_id, refusal=Refusal("validation_failed", field, message))
    except UnicodeEncodeError:
        return Line(number, event_id, refusal=Refusal("malformed_line", "", "holds bytes that are not UTF-8"))
    return Line(number, item.event_id, item=item)


def _shown(value: Any) -> str | None:
    """An event id as the file has it, safe to write into the results (even when it is not valid)."""
    return printable(value[:100]) if isinstance(value, str) else None
