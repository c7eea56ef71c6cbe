"""``carecred policy adopt|show``: adopt a role policy version from a file (policy v2: ``--effective-on``), read one.

Adopting is one event (``RolePolicy.Adopted.v2`` with ``--effective-on``): the way a running store
moves to ``services/credential/policy/shanghai-v2.json`` (docs/policy-v2.md) without rewriting history.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import sys
from pathlib import Path
from typing import Any

import msgspec

from carecred.services import open_application
from contracts.policy import PolicyAdoption
from shared.auth.roles import operator_actor
from shared.settings import Settings


def register(commands: Any) -> None:
    """Add ``policy`` to the ``carecred`` command."""
    policy = commands.add_parser("policy", help="the role policy: adopt a version from a file, show one").add_subparsers(
        required=True, metavar="ACTION")
    adopt = policy.add_parser("adopt", help="adopt a policy document (JSON) as the next version")
    adopt.add_argument("--file", type=Path, required=True, help="the document, e.g. services/credential/policy/shanghai-v2.json")
    adopt.add_argument("--note", required=True, help="why it is adopted")
    adopt.add_argument("--effective-on", type=dt.date.fromisoformat,
                       help="the day it comes into force (YYYY-MM-DD, today or later; default: from today)")
    adopt.set_defaults(run=_adopt)
    show = policy.add_parser("show", help="print the version in force on a day (default: the latest adopted)")
    show.add_argument("--on", type=dt.date.fromisoformat, help="the day (YYYY-MM-DD)")
    show.set_defaults(run=_show)


def _adopt(args: argparse.Namespace) -> int:
    try:
        content = msgspec.json.decode(args.file.read_bytes())
        request = msgspec.convert({"content": content, "note": args.note,
                                   "effective_on": args.effective_on.isoformat() if args.effective_on else None},
                                  type=PolicyAdoption)  # the same checks and text policy as POST /v1/policy
    except (OSError, msgspec.DecodeError, msgspec.ValidationError) as exc:
        print(f"error: {args.file}: {exc}", file=sys.stderr)
        return 2
    with open_application("credential", Settings.from_env()) as app:
        view = app.policies.adopt_policy(request.content, request.note, operator_actor(getpass.getuser()),
                                         effective_on=request.effective_on)
    print(f"adopted policy version {view.version} (sha256 {view.content_hash})"
          + (f", in force from {view.effective_on}" if view.effective_on else ""))
    return 0


def _show(args: argparse.Namespace) -> int:
    with open_application("credential", Settings.from_env()) as app:
        view = app.policies.policy_view(on=args.on)
    print(f"version {view.version}  in force from {view.effective_on or 'always'}  sha256 {view.content_hash}")
    for role in view.content.roles:
        print(f"  {role.code:<18} {role.name_zh}: " + "; ".join(
            ("all of " if g.all_of is not None else "any of ") + ", ".join(g.all_of or g.any_of or [])
            + (f" (level {g.min_level} or higher)" if g.min_level else "")
            + (f" (re-checked every {g.recheck_months} months)" if g.recheck_months else "")
            for g in role.requires))
    return 0
