"""The upload's own pieces, without a service: reading the file, the results file, Retry-After."""

from __future__ import annotations

import email.utils
import re
import time

import pytest

from carecred.bulk_client import RETRY_AFTER_CAP, _retry_after
from carecred.completion_file import FileError, Line, read_completions
from carecred.upload_results import Answer, ResultsFile

STAFF = "6f1c0e0a-0000-4000-8000-0000000000aa"
GOOD = f"E-1,{STAFF},SK01,2025-06-30T14:00:00+08:00,8"


def test_a_spreadsheet_csv_bom_blank_rows_and_a_quoted_cell_over_two_lines(tmp_path):
    file = tmp_path / "term.csv"
    file.write_bytes(
        "\ufeffevent_id,staff_id,course_code,completed_at,class_hours\r\n"
        f"{GOOD}\r\n"
        ",,,,\r\n"
        f'"E-\n2",{STAFF},SK01,2025-06-30T14:00:00+08:00,8\r\n'
        f"E-3,{STAFF},SK01,2025-06-30T14:00:00+08:00,8,extra\r\n"
        f"E-4,{STAFF},SK01,2025-06-30T14:00:00+08:00,1.5\r\n".encode("utf-8"))

    lines = read_completions(file, "csv")

    assert [(line.number, line.event_id) for line in lines] == [(2, "E-1"), (4, "E-\n2"), (6, None), (7, "E-4")]
    assert lines[0].item is not None and lines[0].item.class_hours == 8.0 and lines[0].item.id_number is None
    assert (lines[1].refusal.field, lines[2].refusal.code) == ("event_id", "malformed_line")
    assert lines[3].item.class_hours == 1.5


def test_bytes_that_are_not_utf8_refuse_the_line_not_the_file(tmp_path):
    file = tmp_path / "term.csv"
    file.write_bytes(b"event_id,staff_id,course_code,completed_at,class_hours\n"
                     + f"E-1,{STAFF},SK\xff01,2025-06-30T14:00:00+08:00,8\n".encode("latin-1")
                     + f"{GOOD}\n".replace("E-1", "E-2").encode())

    first, second = read_completions(file, "csv")

    assert first.refusal is not None and first.refusal.field == "course_code"
    assert second.item is not None


@pytest.mark.parametrize("header, why", [
    ("", "empty"),
    ("event_id,course_code,completed_at\n", "lacks the column(s) class_hours"),
    ("event_id,event_id,course_code,completed_at,class_hours\n", "named twice"),
])
def test_a_csv_header_that_cannot_be_used_is_a_file_error(tmp_path, header, why):
    file = tmp_path / "term.csv"
    file.write_text(header, encoding="utf-8")
    with pytest.raises(FileError, match=re.escape(why)):
        read_completions(file, "csv")


def test_a_results_file_cut_mid_line_keeps_its_whole_lines(tmp_path):
    path = tmp_path / "term.csv.results.jsonl"
    path.write_bytes(b'{"line":2,"event_id":"E-1","outcome":"created","completion_id":"c1"}\n'
                     b'{"line":3,"event_id":"E-2","outcome":"rejected","code":"storage_unavailable"}\n'
                     b'{"line":4,"event_id":"E-3","outcome":"cre')

    results = ResultsFile(path)
    lines = [Line(2, "E-1"), Line(3, "E-2"), Line(4, "E-3")]

    assert sorted(results.answers) == [2, 3]
    assert results.answers[2].settles(lines[0], retry_rejected=True)
    assert not results.answers[3].settles(lines[1], retry_rejected=False)  # storage_unavailable: sent again
    results.add([Answer(line=4, event_id="E-3", outcome="conflict", code="completion_conflict")])
    results.close(lines)
    assert [a.line for a in ResultsFile(path).final(lines) if a] == [2, 3, 4]
    assert path.read_bytes().count(b"\n") == 3


def test_retry_after_in_seconds_or_as_a_date_and_never_forever():
    assert _retry_after("2") == 2.0
    assert _retry_after("86400") == RETRY_AFTER_CAP
    assert 3 <= _retry_after(email.utils.formatdate(time.time() + 5, usegmt=True)) <= 5
    assert _retry_after("soon") is None and _retry_after("nan") is None and _retry_after(None) is None
