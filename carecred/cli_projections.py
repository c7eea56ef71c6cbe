"""``carecred projections status|resume``: the operator's view of stalled read models (docs/read-model-stalls.md)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from carecred.services import SERVICES, open_application
from shared.audit.replay import text_progress
from shared.read_model_stalls import Stall
from shared.settings import Settings


def register(commands: Any) -> None:
    """Add ``projections`` to the ``carecred`` command."""
    projections = commands.add_parser(
        "projections", help="read models: which are stalled, and resuming them").add_subparsers(
        required=True, metavar="ACTION")
    status = projections.add_parser("status", help="every read model: current, or stalled where and why")
    status.add_argument("--service", choices=SERVICES, required=True)
    status.set_defaults(run=_status)
    resume = projections.add_parser(
        "resume", help="apply a stalled read model's events again with the code installed now")
    resume.add_argument("read_model", nargs="?", help="the read model's name (see status)")
    resume.add_argument("--all", action="store_true", help="every stalled read model of the service")
    resume.add_argument("--service", choices=SERVICES, required=True)
    resume.set_defaults(run=_resume)


def describe(stall: Stall) -> str:
    if stall.rebuilding:
        return f"{stall.read_model}: being built from the log ({stall.error}); {stall.position} events in"
    return (f"{stall.read_model}: STALLED at log position {stall.failed_position} ({stall.topic}, aggregate"
            f" {stall.aggregate_id} version {stall.aggregate_version}); applied up to {stall.position};"
            f" since {stall.stalled_at}, tried {stall.attempts} time(s), last {stall.last_attempt_at}\n"
            f"    error: {stall.error}")


def _status(args: argparse.Namespace) -> int:
    app = open_application(args.service, Settings.from_env())
    try:
        for projector in app.projectors():
            stalled = projector.stalled()
            position = projector.position()
            for name in projector.by_name:
                print(describe(stalled[name]) if name in stalled else f"{name}: current at log position {position}")
        return 1 if app.stalled_read_models() else 0
    finally:
        app.close()


def _resume(args: argparse.Namespace) -> int:
    if bool(args.read_model) == args.all:
        print("error: name one read model, or give --all", file=sys.stderr)
        return 2
    app = open_application(args.service, Settings.from_env())
    try:
        names = [s.read_model for s in app.stalled_read_models()] if args.all else [args.read_model]
        failed = 0
        for name in names:
            try:
                projector = app.projector_of(name)
            except ValueError as exc:
                print(f"error: {exc}", file=sys.stderr)
                return 2
            if name not in projector.stalled():
                print(f"{name}: not stalled")
                continue
            still = projector.resume(name, on_progress=text_progress(projector.position(), label=f"resume {name}"))
            print(file=sys.stderr)
            if still is None:
                print(f"{name}: resumed; caught up and applied with the others again")
            else:
                failed += 1
                print(describe(still))
        return 1 if failed else 0
    finally:
        app.close()
