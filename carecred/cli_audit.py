"""``carecred replay`` and ``carecred audit ...``: the auditor's command line."""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import os
import sys
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any, BinaryIO, Iterator

import httpx
import msgspec
import psycopg

from carecred import cli_db
from carecred.progress import progress_bar
from carecred.services import SERVICES, open_application
from contracts.audit import Checkpoint, ExportLine
from contracts.district import SignedAnnualFigures
from shared.audit.projections import RECORDED_TIME_TOLERANCE
from shared.audit.replay import replay, text_progress
from shared.audit.verify import reference_leaves, verify_export
from shared.settings import Settings


def register(commands: Any) -> None:
    """Add ``replay`` and ``audit`` to the ``carecred`` command."""
    rebuild = commands.add_parser("replay", help="rebuild every read model from the event log and compare")
    rebuild.add_argument("--service", choices=SERVICES, required=True)
    rebuild.add_argument("--keep", action="store_true", help="keep the rebuilt tables for inspection")
    rebuild.set_defaults(run=_replay)

    audit = commands.add_parser("audit", help="export, checkpoint and verify the event log").add_subparsers(
        required=True, metavar="ACTION")
    export = audit.add_parser("export", help="write the whole event log as NDJSON")
    export.add_argument("--service", choices=SERVICES, required=True)
    export.add_argument("--output", default="-", help="file to write (default: standard output)")
    export.set_defaults(run=_export)
    checkpoint = audit.add_parser("checkpoint", help="sign, record and write a checkpoint of the log")
    checkpoint.add_argument("--service", choices=SERVICES, required=True)
    checkpoint.add_argument("--output", default="-")
    checkpoint.set_defaults(run=_checkpoint)
    verify = audit.add_parser("verify", help="check an export against a checkpoint; name the first event that differs")
    verify.add_argument("--service", choices=SERVICES, required=True)
    verify.add_argument("--export", required=True, type=Path)
    verify.add_argument("--checkpoint", required=True, type=Path)
    verify.add_argument("--public-key", help="the pinned checkpoint public key (base64); default: the service's")
    verify.add_argument("--offline", action="store_true", help="do not read the service's stored leaves")
    verify.add_argument("--reference", type=Path,
                        help="an export kept earlier: name the first difference against it, not the service's leaves")
    verify.add_argument("--time-tolerance", type=float, default=RECORDED_TIME_TOLERANCE.total_seconds(),
                        metavar="SECONDS", help="flag an event recorded more than this before an earlier one"
                                                " (default %(default)s)")
    verify.set_defaults(run=_verify)
    figures = audit.add_parser("verify-figures", help="check signed annual figures: signature, checkpoint, and"
                                                      " recompute them from that prefix of the log")
    figures.add_argument("document", metavar="FILE_OR_URL", help="the signed figures (a file, or the service's URL"
                                                                 " /v1/district/annual-figures/YEAR)")
    figures.add_argument("--public-key", help="the pinned checkpoint public key (base64); default: the service's")
    figures.add_argument("--api-key", default=os.environ.get("CARECRED_API_KEY", ""),
                         help="for a URL: an auditor's key (default: $CARECRED_API_KEY)")
    figures.set_defaults(run=_verify_figures)
    grants = audit.add_parser("grants", help="PostgreSQL: print (or --apply) what `db migrate --app-role ROLE` runs")
    grants.add_argument("--service", choices=SERVICES, required=True)
    grants.add_argument("--role", required=True)
    grants.add_argument("--apply", action="store_true", help="run the statements (as the configured owner)")
    grants.set_defaults(run=_grants)


@contextmanager
def _application(service: str) -> Iterator[Any]:
    app = open_application(service, Settings.from_env())
    try:
        yield app
    finally:
        app.close()


@contextmanager
def _output(path: str) -> Iterator[BinaryIO]:
    if path == "-":
        yield sys.stdout.buffer
    else:
        with open(path, "wb") as out:
            yield out


def _replay(args: argparse.Namespace) -> int:
    with _application(args.service) as app:
        total = app.recorder.max_notification_id() or 0
        report = replay(app, progress=text_progress(total, label=f"replay {args.service}"), keep=args.keep)
    print(file=sys.stderr)
    rate = report.events / max(report.seconds, 1e-6)
    print(f"replayed {report.events} events into {len(report.tables)} tables in {report.seconds:.1f}s ({rate:,.0f} ev/s)")
    for difference in report.differences:
        print(difference.describe())
    print("read models identical" if report.identical else f"{len(report.differences)} table(s) differ")
    return 0 if report.identical else 1


def _export(args: argparse.Namespace) -> int:
    with _application(args.service) as app, _output(args.output) as out:
        estimate = app.recorder.max_notification_id() or 0  # positions may skip a number: the bar ends full anyway
        with progress_bar(f"export {args.service}", estimate) as advance:
            for line in app.audit.export_lines():
                out.write(line)
                advance(1)
    return 0


def _checkpoint(args: argparse.Namespace) -> int:
    with _application(args.service) as app, _output(args.output) as out:
        out.write(msgspec.json.format(msgspec.json.encode(app.audit.checkpoint())) + b"\n")
    return 0


def _verify(args: argparse.Namespace) -> int:
    """Exit 0: the export matches the checkpoint and every event is authenticated; 1: it does not (each
    problem printed, the first differing event named); 2: the command could not run (bad arguments or
    files); 3: it matches, but recorded time goes backwards somewhere (warnings printed)."""
    try:
        checkpoint = msgspec.json.decode(args.checkpoint.read_bytes(), type=Checkpoint)
    except (OSError, msgspec.DecodeError) as exc:
        print(f"error: cannot read the checkpoint {args.checkpoint}: {exc}", file=sys.stderr)
        return 2
    if not args.export.is_file():
        print(f"error: no export file {args.export}", file=sys.stderr)
        return 2
    with _application(args.service) as app:
        trusted = (base64.b64decode(args.public_key) if args.public_key
                   else base64.b64decode(app.audit.public_key().public_key))

        def authenticate(line: ExportLine, state: bytes) -> str | None:
            inner, why = app.mapper.authenticate(line.aggregate_id, line.version, line.topic, state, line.position)
            return None if inner is not None else why

        with args.export.open("rb") as lines, ExitStack() as stack:
            if args.reference:
                leaves = reference_leaves(stack.enter_context(args.reference.open("rb")))
            else:
                leaves = None if args.offline else app.audit.leaf_rows()
            result = verify_export(lines, checkpoint, trusted, leaves, authenticate=authenticate,
                                   time_tolerance=dt.timedelta(seconds=args.time_tolerance))
    for warning in result.warnings:
        print(f"WARNING: {warning}", file=sys.stderr)
    if result.ok:
        print(f"OK: the {checkpoint.tree_size} events of checkpoint {checkpoint.timestamp} match the export"
              f" ({result.events} events exported, every one authenticated); root {checkpoint.root_hash}")
        return 3 if result.warnings else 0
    print("FAILED: the export does not match the checkpoint, or holds events the service did not write",
          file=sys.stderr)
    for problem in result.problems:
        print(f"  {problem}", file=sys.stderr)
    return 1


def _read_figures(source: str, api_key: str) -> bytes:
    if source.startswith(("http://", "https://")):
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        answer = httpx.get(source, headers=headers, timeout=30)
        answer.raise_for_status()
        return answer.content
    return Path(source).read_bytes()


def _verify_figures(args: argparse.Namespace) -> int:
    """Exit 0: signed by the service's key, bound to a checkpoint of this log, and the log's prefix gives the same
    figures; 1: not (each problem printed); 2: the document could not be read."""
    try:
        signed = msgspec.json.decode(_read_figures(args.document, args.api_key), type=SignedAnnualFigures)
    except (OSError, httpx.HTTPError, msgspec.DecodeError, msgspec.ValidationError) as exc:
        print(f"error: cannot read the figures {args.document}: {exc}", file=sys.stderr)
        return 2
    with _application("credential") as app:
        trusted = base64.b64decode(args.public_key or app.audit.public_key().public_key)
        problems = app.annual_figures.verify(signed, trusted)
    document = signed.document
    if not problems:
        print(f"OK: the {document.year} figures (as on {document.on}) are signed by key {signed.key_id}, bound to"
              f" checkpoint {document.checkpoint.tree_size} / {document.checkpoint.root_hash}, and the log's first"
              f" {document.checkpoint.tree_size} events give the same figures")
        return 0
    print(f"FAILED: the {document.year} figures do not hold", file=sys.stderr)
    for problem in problems:
        print(f"  {problem}", file=sys.stderr)
    return 1


def _grants(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    if not settings.uses_postgres:
        print("error: grants apply to PostgreSQL only (configure CARECRED_DATABASE_URL)", file=sys.stderr)
        return 2
    prepared = cli_db.prepare(args.service, settings)  # as owner: create every table first
    with psycopg.connect(**settings.postgres_params(), autocommit=True) as conn:
        for statement in cli_db.statements(prepared, args.role):
            print(statement.as_string(conn) + ";")
    if args.apply:
        cli_db.apply(settings, prepared, args.role)
    return 0
