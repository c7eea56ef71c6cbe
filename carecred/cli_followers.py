"""``carecred followers status|reread``: the followers of the other service's feed.

``reread`` puts a follower back to the start of the feed; the running service's next poll (every
``follow_interval``) applies every event again. Both followers' ``apply`` are idempotent, so this
only fills what an older version did not keep: the training service's ``person_assignments``
(stores whose follower read the assignments before that table existed: those people owed the
full year) and the credential service's ``training_assessments``. Re-learned assignments queue
their people for a restatement of their year totals on the training feed (docs/training-rules.md).
"""

from __future__ import annotations

import argparse
from typing import Any

from carecred.services import SERVICES, open_application
from shared.settings import Settings


def register(commands: Any) -> None:
    """Add ``followers`` to the ``carecred`` command."""
    followers = commands.add_parser(
        "followers", help="followers of the other service's feed: status, re-reading from the start").add_subparsers(
        required=True, metavar="ACTION")
    status = followers.add_parser("status", help="each follower's position in the other service's feed")
    status.add_argument("--service", choices=SERVICES, required=True)
    status.set_defaults(run=_status)
    reread = followers.add_parser("reread", help="read the other service's feed again from its start (idempotent)")
    reread.add_argument("--service", choices=SERVICES, required=True)
    reread.set_defaults(run=_reread)


def _status(args: argparse.Namespace) -> int:
    app = open_application(args.service, Settings.from_env())
    try:
        for follower in app.followers:
            print(f"{follower.name}: at position {follower.position()} of {follower.base_url or '(not configured)'}")
        return 0
    finally:
        app.close()


def _reread(args: argparse.Namespace) -> int:
    app = open_application(args.service, Settings.from_env())
    try:
        for follower in app.followers:
            was = follower.reread()
            print(f"{follower.name}: was at position {was}; reads the feed again from the start at its next poll")
        return 0
    finally:
        app.close()
