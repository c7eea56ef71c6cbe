"""The per-line results file of an upload (JSON lines), which is also what a rerun resumes from.

Answers are appended a page at a time (and flushed), so an upload killed at any moment leaves
every answer it received; a rerun reads them back (the last answer of a line wins), sends only
the lines without a settled answer, and at the end rewrites the file with one answer per line
of the input, in line order.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO, Iterable, Literal

import msgspec

from carecred.completion_file import FileError, Line

TRANSIENT_CODES = frozenset({"storage_unavailable"})
"""Codes of items the service could not store this time: sent again, never settled."""


class Answer(msgspec.Struct, kw_only=True, omit_defaults=True):
    """What became of one line: ``created``, ``duplicate``, ``conflict`` or ``rejected`` by the service, or
    ``invalid`` (refused here, never sent)."""

    line: int
    event_id: str | None
    outcome: Literal["created", "duplicate", "conflict", "rejected", "invalid"]
    completion_id: str | None = None
    counted: bool | None = None
    reason: str | None = None
    code: str | None = None
    field: str | None = None
    message: str | None = None

    @property
    def recorded(self) -> bool:
        return self.outcome in ("created", "duplicate")

    @property
    def transient(self) -> bool:
        return self.outcome == "rejected" and self.code in TRANSIENT_CODES

    def settles(self, line: Line, *, retry_rejected: bool) -> bool:
        """Whether this earlier answer still stands for ``line`` (same event id), so it is not sent again."""
        if line.event_id != self.event_id or self.outcome == "invalid" or self.transient:
            return False
        return self.recorded or not retry_rejected


_decoder = msgspec.json.Decoder(Answer)
_encoder = msgspec.json.Encoder()


class ResultsFile:
    """Answers by line number: those of earlier runs (unless ``fresh``), then this run's, appended as they come."""

    def __init__(self, path: Path, *, fresh: bool = False):
        self.path = path
        self._out: IO[bytes] = path.open("ab")
        try:
            fcntl.flock(self._out, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self._out.close()
            raise FileError(f"another upload is writing {path}: wait for it to end") from None
        if fresh:
            self._out.truncate(0)
        self.answers: dict[int, Answer] = {} if fresh else self._earlier()

    def _earlier(self) -> dict[int, Answer]:
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return {}
        complete = data[: data.rfind(b"\n") + 1]  # a run killed mid-write leaves a partial last line
        if len(complete) != len(data):
            with self.path.open("r+b") as out:
                out.truncate(len(complete))
        answers: dict[int, Answer] = {}
        for raw in complete.splitlines():
            try:
                answer = _decoder.decode(raw)
            except msgspec.DecodeError:
                continue  # not ours: that line is simply sent again
            answers[answer.line] = answer
        return answers

    def add(self, answers: Iterable[Answer]) -> None:
        """Note answers and append them to the file at once."""
        chunk = bytearray()
        for answer in answers:
            self.answers[answer.line] = answer
            chunk += _encoder.encode(answer) + b"\n"
        self._out.write(chunk)
        self._out.flush()

    def final(self, lines: list[Line]) -> list[Answer | None]:
        """The latest answer for each line of the input, in order (None: not answered yet)."""
        return [a if (a := self.answers.get(line.number)) is not None and a.event_id == line.event_id else None
                for line in lines]

    def close(self, lines: list[Line]) -> None:
        """Rewrite the file as one answer per line of the input (the latest), in order."""
        self._out.close()
        temporary = self.path.with_name(self.path.name + ".tmp")
        with temporary.open("wb") as out:
            out.write(b"".join(_encoder.encode(a) + b"\n" for a in self.final(lines) if a is not None))
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, self.path)
