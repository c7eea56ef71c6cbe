"""``carecred completions upload FILE``: a provider's term-end file sent in pages, resumable after any interruption."""

from __future__ import annotations

import argparse
import os
from collections import Counter
from pathlib import Path
from typing import Any
from uuid import UUID

from rich.console import Console

from carecred.bulk_client import BulkClient, ServiceRefused, ServiceUnreachable
from carecred.completion_file import FORMATS, FileError, Line, format_of, read_completions
from carecred.progress import progress_bar
from carecred.upload_results import Answer, ResultsFile
from contracts.training import MAX_BULK_ITEMS, BulkItemResult
from shared.settings import Settings

ALL_RECORDED, SOME_REFUSED, USAGE, UNREACHABLE, INTERRUPTED = 0, 1, 2, 3, 130
EXIT_CODES = """\
exit codes:
  0  every line is recorded (created now, or a duplicate of what was recorded before)
  1  every line is answered, but some were refused: invalid here (never sent), rejected or conflict
  2  usage or file error: bad arguments, unreadable file or CSV header, key/provider/URL refused
  3  the service stayed unreachable (or its storage unavailable) through the retries: rerun to continue
130  interrupted (Ctrl-C): rerun to continue

A rerun of the same command continues: it reads the results file, skips lines already
answered (created, duplicate, conflict, rejected) and sends the rest. Lines sent before an
interruption whose answer was lost are answered `duplicate`: the route is idempotent by
event id, so nothing is recorded twice."""
SHOWN_PROBLEMS = 10


def register(commands: Any) -> None:
    """Add ``completions upload`` to the ``carecred`` command."""
    completions = commands.add_parser("completions", help="a training provider's completions").add_subparsers(
        required=True, metavar="ACTION")
    upload = completions.add_parser(
        "upload", help="post a CSV or JSON lines file of completions in pages, resumably",
        description="Post a provider's completions (CSV with a header row, or JSON lines) to the training"
                    " service's bulk route, a page at a time, writing one result per line.",
        epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter)
    upload.add_argument("file", type=Path, help="columns / keys: event_id, staff_id or id_number, course_code,"
                                                 " completed_at, class_hours")
    upload.add_argument("--format", choices=FORMATS, help="default: from the extension (.csv; .jsonl, .ndjson)")
    upload.add_argument("--provider", default=os.environ.get("CARECRED_PROVIDER_ID"),
                        help="the provider id the key belongs to (default CARECRED_PROVIDER_ID)")
    upload.add_argument("--key", help="the provider's API key (default CARECRED_API_KEY, which is better:"
                                      " a command line is visible to other users of the machine)")
    upload.add_argument("--url", help="the training service (default CARECRED_TRAINING_URL, else"
                                      " http://127.0.0.1:<CARECRED_TRAINING_PORT>)")
    upload.add_argument("--page-size", type=int, default=1000, help="completions per request (default %(default)s)")
    upload.add_argument("--results", type=Path, help="the results file (default FILE.results.jsonl)")
    upload.add_argument("--fresh", action="store_true", help="ignore an earlier results file: send every line again")
    upload.add_argument("--retry-rejected", action="store_true",
                        help="send again the lines the service rejected or found in conflict before")
    upload.add_argument("--retries", type=int, default=6,
                        help="retries of a page on a transient failure, with backoff (default %(default)s)")
    upload.add_argument("--timeout", type=float, default=120, help="seconds to wait for a page's answer")
    upload.set_defaults(run=_upload)


def _upload(args: argparse.Namespace) -> int:
    console = Console(stderr=True, highlight=False)
    try:
        client, lines, results = _prepare(args, console)
    except _Usage as exc:
        console.print(f"error: {exc}", markup=False)
        return USAGE
    stopped = None
    try:
        _send(lines, results, client, args, console)
    except ServiceUnreachable as exc:
        stopped = UNREACHABLE
        console.print(f"error: the service is unreachable: {exc}; rerun the same command to continue", markup=False)
    except ServiceRefused as exc:
        stopped = USAGE
        console.print(f"error: the service refused the upload: {exc}", markup=False)
    except KeyboardInterrupt:
        stopped = INTERRUPTED
        console.print("interrupted: rerun the same command to continue", markup=False)
    finally:
        client.close()
        results.close(lines)
    outcome = _summary(args.file, lines, results, console)
    return stopped if stopped is not None else outcome


class _Usage(Exception):
    pass


def _prepare(args: argparse.Namespace, console: Console) -> tuple[BulkClient, list[Line], ResultsFile]:
    key = args.key or os.environ.get("CARECRED_API_KEY")
    if not key:
        raise _Usage("no API key: set CARECRED_API_KEY (or give --key)")
    try:
        provider = UUID(args.provider or "")
    except ValueError:
        raise _Usage("give the provider id (--provider or CARECRED_PROVIDER_ID) as a UUID") from None
    if not 1 <= args.page_size <= MAX_BULK_ITEMS:
        raise _Usage(f"--page-size must be 1..{MAX_BULK_ITEMS}")
    if args.retries < 0 or args.timeout <= 0:
        raise _Usage("--retries must be 0 or more and --timeout positive")
    results_path = args.results or args.file.with_name(args.file.name + ".results.jsonl")
    if results_path.resolve() == args.file.resolve():
        raise _Usage("the results file must not be the input file")
    url = args.url or Settings.from_env().url_of("training")
    try:
        lines = read_completions(args.file, format_of(args.file, args.format))
        results = ResultsFile(results_path, fresh=args.fresh)
    except FileError as exc:
        raise _Usage(str(exc)) from None
    except OSError as exc:
        raise _Usage(f"cannot write the results file: {exc}") from None
    client = BulkClient(url, provider, key, retries=args.retries, timeout=args.timeout,
                        warn=lambda text: console.print(text, markup=False))
    return client, lines, results


def _send(lines: list[Line], results: ResultsFile, client: BulkClient, args: argparse.Namespace,
          console: Console) -> None:
    """Note the invalid lines, then send every line without a settled answer, a page at a time."""
    results.add(Answer(line=line.number, event_id=line.event_id, outcome="invalid", code=line.refusal.code,
                       field=line.refusal.field, message=line.refusal.message)
                for line in lines if line.refusal is not None)
    earlier = results.answers
    due = [line for line in lines if line.item is not None and not (
        line.number in earlier and earlier[line.number].settles(line, retry_rejected=args.retry_rejected))]
    with progress_bar(f"upload {args.file.name}", len(lines), console=console) as advance:
        advance(len(lines) - len(due))
        for start in range(0, len(due), args.page_size):
            page = due[start:start + args.page_size]
            answered = client.post([line.item for line in page if line.item is not None],
                                   what=f"lines {page[0].number}-{page[-1].number}")
            results.add(_answer(line, result) for line, result in zip(page, answered, strict=True))
            advance(len(page))
            if any(results.answers[line.number].transient for line in page):
                raise ServiceUnreachable("its storage stayed unavailable for some items")


def _answer(line: Line, result: BulkItemResult) -> Answer:
    return Answer(line=line.number, event_id=line.event_id, outcome=result.outcome,
                  completion_id=result.completion_id, counted=result.counted, reason=result.reason,
                  code=result.code, field=result.field, message=result.message)


def _summary(file: Path, lines: list[Line], results: ResultsFile, console: Console) -> int:
    final = results.final(lines)
    counts = Counter(a.outcome for a in final if a is not None and not a.transient)
    waiting = sum(1 for a in final if a is None or a.transient)
    problems = [a for a in final if a is not None and not a.recorded and not a.transient]
    for answer in problems[:SHOWN_PROBLEMS]:
        where = f" {answer.field}" if answer.field else ""
        console.print(f"line {answer.line}{where}: {answer.outcome} ({answer.code}) {answer.message or ''}",
                      markup=False)
    if len(problems) > SHOWN_PROBLEMS:
        console.print(f"... and {len(problems) - SHOWN_PROBLEMS} more in {results.path}", markup=False)
    print(f"{file}: {len(lines)} lines: {counts['created']} created, {counts['duplicate']} duplicate,"
          f" {counts['conflict']} conflict, {counts['rejected']} rejected, {counts['invalid']} invalid (not sent)"
          + (f", {waiting} not answered yet" if waiting else "") + f"; results in {results.path}")
    return SOME_REFUSED if problems else ALL_RECORDED
