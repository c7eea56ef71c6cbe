"""A provider uploads its term-end file with `carecred completions upload`, against the real training service.

The service runs as a process (`carecred serve training`) on SQLite and on PostgreSQL; the
command runs as a process too, so it can be killed mid-upload as a closed laptop would.
"""

from __future__ import annotations

import fcntl
import json
import signal
import subprocess
from collections import Counter

import pytest

from carecred.cli import main
from tests.cli.bulk_proxy import BulkProxy
from tests.cli.upload_world import (
    PEOPLE, Provider, TrainingService, completion_row, results_of, write_csv,
)
from tests.conftest import drop_schemas, make_settings, require_postgres
from tests.e2e.processes import free_port, wait_until
from tests.integration.training_world import id_number, staff_id

UNKNOWN_PERSON = "00000000-0000-4000-8000-000000000000"


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def training(request, tmp_path_factory):
    if request.param == "postgres":
        require_postgres()
    directory = tmp_path_factory.mktemp(f"training-{request.param}")
    settings = make_settings(request.param, directory)
    service = TrainingService(settings, directory)
    yield service
    service.process.stop()
    if settings.uses_postgres:
        drop_schemas(settings.schema_prefix)


@pytest.fixture
def provider(training) -> Provider:
    return training.new_provider()


@pytest.fixture
def upload(provider, monkeypatch, capsys):
    """Run the command in this process, as ``provider``: faster than a process where none needs killing."""

    def run(file, *args: str, url: str | None = None, key: str | None = None, terminal: bool = False):
        monkeypatch.setenv("CARECRED_API_KEY", provider.token if key is None else key)
        monkeypatch.setenv("TTY_COMPATIBLE", "1" if terminal else "0")
        code = main(provider.arguments(file, *args, url=url))
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(args, code, out, err)

    return run


def assert_recorded_once(provider: Provider, event_ids: list[str]) -> dict[str, str]:
    """The ledger holds each of ``event_ids`` exactly once (and nothing else); their completion ids."""
    ledger = provider.ledger()
    assert Counter(entry["event_id"] for entry in ledger) == Counter(set(event_ids))
    assert len(ledger) == len(set(event_ids))
    return {entry["event_id"]: entry["completion_id"] for entry in ledger}


def test_a_2000_line_csv_uploads_and_each_line_has_its_result(provider, upload, tmp_path):
    rows = [completion_row(i) for i in range(2000)]
    file = write_csv(tmp_path / "term.csv", rows)

    run = upload(file, "--page-size", "500")

    assert run.returncode == 0, run.stderr
    assert "upload term.csv" not in run.stderr  # no progress bar when standard error is no terminal
    assert "2000 lines: 2000 created, 0 duplicate, 0 conflict, 0 rejected, 0 invalid" in run.stdout
    results = results_of(tmp_path / "term.csv.results.jsonl")
    assert [r["line"] for r in results] == list(range(2, 2002))  # line 1 is the header
    assert [r["event_id"] for r in results] == [row["event_id"] for row in rows]
    assert {r["outcome"] for r in results} == {"created"}
    recorded = assert_recorded_once(provider, [row["event_id"] for row in rows])
    assert all(r["completion_id"] == recorded[r["event_id"]] for r in results)
    # the first nine courses of each person count (72 hours); the rest of the same courses do not
    assert sum(r["counted"] for r in results) == PEOPLE * 9

    again = upload(file, "--page-size", "500")  # nothing left to send: the results stand

    assert again.returncode == 0, again.stderr
    assert results_of(tmp_path / "term.csv.results.jsonl") == results


@pytest.mark.parametrize("interruption", ["SIGKILL", "Ctrl-C"])
def test_an_upload_killed_with_a_page_in_flight_completes_exactly_once_when_rerun(
    interruption, provider, upload, tmp_path,
):
    rows = [completion_row(i) for i in range(2000)]
    file = write_csv(tmp_path / "term.csv", rows)
    results_file = tmp_path / "term.csv.results.jsonl"
    with BulkProxy(provider.service.url) as proxy:
        proxy.hold_answer_at = 3  # the third page is stored, but its answer never reaches the command
        running = provider.start_upload(file, "--page-size", "250", "--timeout", "60", url=proxy.url)
        try:
            assert proxy.held.wait(60), "the third page never reached the service"
        finally:
            # SIGKILL: no chance to tidy up, as a crash or a closed laptop; SIGINT: the user's Ctrl-C
            running.send_signal(signal.SIGKILL if interruption == "SIGKILL" else signal.SIGINT)
            _, stderr = running.communicate(timeout=30)
    if interruption == "Ctrl-C":
        assert running.returncode == 130 and "interrupted: rerun the same command to continue" in stderr, stderr

    answered = results_of(results_file)
    assert len(answered) == 500 and {r["outcome"] for r in answered} == {"created"}
    assert len(provider.ledger()) == 750  # the third page is recorded, though nobody heard so

    rerun = upload(file, "--page-size", "250")

    assert rerun.returncode == 0, rerun.stderr
    results = results_of(results_file)
    assert [r["line"] for r in results] == list(range(2, 2002))
    outcomes = [r["outcome"] for r in results]
    assert outcomes == ["created"] * 500 + ["duplicate"] * 250 + ["created"] * 1250
    recorded = assert_recorded_once(provider, [row["event_id"] for row in rows])
    assert all(r["completion_id"] == recorded[r["event_id"]] for r in results)


def test_transient_failures_are_retried_and_a_lost_answer_is_asked_again(provider, upload, tmp_path):
    rows = [completion_row(i) for i in range(300)]
    file = write_csv(tmp_path / "term.csv", rows)
    with BulkProxy(provider.service.url) as proxy:
        proxy.unavailable_at = {1}  # 503 storage_unavailable, Retry-After: 1
        proxy.drop_answer_at = {3}  # the first post of the second page: stored, then the connection drops
        proxy.accepted_at = {5}  # the first post of the third page: stored, answered 202 without results

        run = upload(file, "--page-size", "100", url=proxy.url)

    assert run.returncode == 0, run.stderr
    assert "503 storage_unavailable" in run.stderr and "trying again in 1.0s" in run.stderr
    outcomes = [r["outcome"] for r in results_of(tmp_path / "term.csv.results.jsonl")]
    assert outcomes == ["created"] * 100 + ["duplicate"] * 200
    assert proxy.bulk_posts == 6
    assert_recorded_once(provider, [row["event_id"] for row in rows])


def test_bad_lines_are_named_by_line_and_field_never_sent_and_the_rest_still_goes(provider, upload, tmp_path):
    rows = [completion_row(i) for i in range(10)]
    rows[1]["event_id"] = "TERM 1"  # a space: refused here
    rows[3]["class_hours"] = "eight"  # not a number: refused here
    rows[4]["course_code"] = "SK\x0001"  # a control character: refused here
    rows[6]["staff_id"] = UNKNOWN_PERSON  # well-formed, but nobody: the service rejects it
    rows[8]["completed_at"] = "2099-01-01T00:00:00Z"  # in the future: the service rejects it
    file = write_csv(tmp_path / "term.csv", rows)
    with BulkProxy(provider.service.url) as proxy:
        run = upload(file, url=proxy.url)

    assert run.returncode == 1, run.stderr
    refused = {r["line"]: (r["outcome"], r.get("field"), r.get("code"))
               for r in results_of(tmp_path / "term.csv.results.jsonl") if r["outcome"] != "created"}
    assert refused == {
        3: ("invalid", "event_id", "validation_failed"),
        5: ("invalid", "class_hours", "validation_failed"),
        6: ("invalid", "course_code", "validation_failed"),
        8: ("rejected", "staff_id", "unknown_person"),
        10: ("rejected", "completed_at", "completed_in_future"),
    }
    assert "line 3 event_id: invalid (validation_failed)" in run.stderr
    assert "line 8 staff_id: rejected (unknown_person)" in run.stderr
    assert "5 created" in run.stdout and "2 rejected, 3 invalid (not sent)" in run.stdout
    assert proxy.forwarded == [rows[i]["event_id"] for i in (0, 2, 5, 6, 7, 8, 9)]
    assert_recorded_once(provider, [rows[i]["event_id"] for i in (0, 2, 5, 7, 9)])

    rows[1]["event_id"], rows[6]["staff_id"] = "TERM-00001", staff_id(1)  # the file is mended
    write_csv(file, rows)
    mended = upload(file, "--retry-rejected")

    assert mended.returncode == 1, mended.stderr  # lines 5, 6 and 10 still refused
    assert "6 created" not in mended.stdout and "7 created" in mended.stdout
    assert_recorded_once(provider, [rows[i]["event_id"] for i in (0, 1, 2, 5, 6, 7, 9)])


def test_a_json_lines_file_by_staff_id_or_id_number(provider, upload, tmp_path):
    lines = [
        json.dumps(completion_row(0)),
        json.dumps({**completion_row(1), "staff_id": None, "id_number": id_number(1)}, ensure_ascii=False),
        "",  # blank lines are skipped
        '{"event_id": "TERM-00002", "event_id": "TERM-00003"}',
        "not json",
        json.dumps({**completion_row(4), "hours": 8}),
    ]
    file = tmp_path / "term.ndjson"
    file.write_text("\n".join(lines) + "\n", encoding="utf-8")

    run = upload(file, terminal=True)

    assert run.returncode == 1, run.stderr
    assert "upload term.ndjson" in run.stderr and "5/5" in run.stderr  # the progress bar, on a terminal
    results = {r["line"]: r for r in results_of(tmp_path / "term.ndjson.results.jsonl")}
    assert (results[1]["outcome"], results[2]["outcome"]) == ("created", "created")
    assert (results[4]["field"], results[5]["code"], results[6]["field"]) == ("event_id", "malformed_line", "hours")
    assert 3 not in results
    recorded = provider.ledger()
    assert [(e["event_id"], e["staff_id"]) for e in recorded] == [("TERM-00000", staff_id(0)), ("TERM-00001", staff_id(1))]


def test_an_unreachable_service_exits_3_and_a_rerun_continues(upload, tmp_path):
    rows = [completion_row(i) for i in range(20)]
    rows[0]["class_hours"] = "x"
    file = write_csv(tmp_path / "term.csv", rows)

    down = upload(file, "--retries", "1", url=f"http://127.0.0.1:{free_port()}")

    assert down.returncode == 3, down.stderr
    assert "unreachable" in down.stderr and "19 not answered yet" in down.stdout
    assert [r["line"] for r in results_of(tmp_path / "term.csv.results.jsonl")] == [2]  # the invalid line

    up = upload(file)

    assert up.returncode == 1 and "19 created" in up.stdout and "1 invalid" in up.stdout, up.stderr


def test_usage_and_file_errors_exit_2(provider, upload, tmp_path):
    good = write_csv(tmp_path / "term.csv", [completion_row(0)])
    bad_header = tmp_path / "header.csv"
    bad_header.write_text("event_id,person,course_code,completed_at,class_hours\n", encoding="utf-8")
    with (tmp_path / "term.csv.results.jsonl").open("ab") as busy:
        fcntl.flock(busy, fcntl.LOCK_EX)  # an upload of the same file still running
        running = upload(good)
    cases = {
        "another upload of the file running": running,
        "the results file is the input": upload(good, "--results", str(good)),
        "no such file": upload(tmp_path / "missing.csv"),
        "unknown column": upload(bad_header),
        "unknown format": upload(tmp_path / "term.xlsx"),
        "no key": upload(good, key=""),
        "a key the service refuses": upload(good, key="not-a-key"),
        "a page size beyond the route's": upload(good, "--page-size", "50001"),
    }

    assert {what: run.returncode for what, run in cases.items()} == dict.fromkeys(cases, 2)
    assert "unknown CSV column(s) 'person'" in cases["unknown column"].stderr
    assert "another upload is writing" in running.stderr
    assert good.read_text().startswith("event_id,")
    assert "401" in cases["a key the service refuses"].stderr
    assert provider.ledger() == []
