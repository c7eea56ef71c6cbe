"""``carecred notices run-daily|deliver``: the day's notice pass and a delivery round, from the command line.

The running service does both by itself (once a day, and every ``CARECRED_WEBHOOK_POLL_SECONDS``);
these are for a scheduler of your own, or to see at once what a pass raises.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
from typing import Any

from carecred.services import open_application
from shared.auth.roles import operator_actor
from shared.settings import Settings


def register(commands: Any) -> None:
    """Add ``notices`` to the ``carecred`` command."""
    notices = commands.add_parser("notices", help="webhook notices: the daily pass, delivering").add_subparsers(
        required=True, metavar="ACTION")
    daily = notices.add_parser("run-daily", help="record the day's time-based notices not sent yet (a rerun sends nothing)")
    daily.add_argument("--on", type=dt.date.fromisoformat, help="the day (YYYY-MM-DD; default today in Asia/Shanghai)")
    daily.set_defaults(run=_run_daily)
    deliver = notices.add_parser("deliver", help="attempt every webhook delivery that is due, once")
    deliver.set_defaults(run=_deliver)


def _run_daily(args: argparse.Namespace) -> int:
    app = open_application("credential", Settings.from_env())
    try:
        day, raised = app.notices.run_daily(on=args.on, actor=operator_actor(getpass.getuser()))
    finally:
        app.close()
    print(f"{day}: {raised} notice(s) raised" if raised else f"{day}: nothing new (every notice due was sent already)")
    return 0


def _deliver(args: argparse.Namespace) -> int:
    app = open_application("credential", Settings.from_env())
    try:
        attempted = app.notices.deliver_due()
    finally:
        app.close()
    print(f"{attempted} delivery attempt(s)")
    return 0
