"""``carecred inspections verify-draw --month 2027-01``: recompute a month's 双随机 draw from its published inputs.

The inputs are read from the credential service's store (``CARECRED_*`` settings, as the other
commands), or with ``--url`` (and ``--token`` / ``CARECRED_TOKEN``, any key that reads draws)
fetched from ``GET /v1/inspections/draws/{month}`` of a running service. For every drawn round
it checks that SHA-256(seed) is the announced commitment, that the pairs are the ones the inputs
give (``services.credential.domain.inspection_draw_rules``), and, reading the store, that the log
root recorded is the Merkle root of the log at that size. ``--beacon`` replaces the beacon value
(to see that another value gives another draw). Exit 0 on a match, 1 on a mismatch.
"""

from __future__ import annotations

import argparse
import os
import re
import urllib.request
from typing import Any

import msgspec

from carecred.services import open_application
from contracts.inspections import DrawRound, DrawView
from services.credential.domain.inspection_draw_rules import DrawInputs, commitment_of, draw_pairs
from shared.settings import Settings

MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def register(commands: Any) -> None:
    """Add ``inspections`` to the ``carecred`` command."""
    inspections = commands.add_parser("inspections", help="inspections: re-verify a monthly draw").add_subparsers(
        required=True, metavar="ACTION")
    verify = inspections.add_parser("verify-draw", help="recompute a month's draw from its published inputs")
    verify.add_argument("--month", required=True, help="the month, e.g. 2027-01")
    verify.add_argument("--url", help="a running credential service (default: read the store)")
    verify.add_argument("--token", help="an API key for --url (default: $CARECRED_TOKEN)")
    verify.add_argument("--beacon", help="use this beacon value instead of the published one")
    verify.set_defaults(run=_verify_draw)


def round_problems(month: str, published: DrawRound, *, beacon: str | None = None) -> list[str]:
    """Why a drawn round does not follow from its inputs (empty: it does)."""
    if published.seed is None or published.pairs is None or published.log_root is None or published.beacon is None:
        return ["not drawn yet"]
    problems = []
    if commitment_of(published.seed) != published.commitment:
        problems.append("SHA-256 of the seed is not the announced commitment")
    pairs = draw_pairs(DrawInputs.of(month, published, seed=published.seed,
                                     beacon=published.beacon if beacon is None else beacon, log_root=published.log_root))
    if pairs != [[p.nursery_id, p.inspector_id] for p in published.pairs]:
        problems.append("the recomputed pairs differ from the published ones")
    return problems


def _fetch(url: str, token: str | None, month: str) -> DrawView:
    request = urllib.request.Request(f"{url.rstrip('/')}/v1/inspections/draws/{month}",
                                     headers={"Authorization": f"Bearer {token}"} if token else {})
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (the operator's URL)
        return msgspec.json.decode(response.read(), type=DrawView)


def _verify_draw(args: argparse.Namespace) -> int:
    if not MONTH.match(args.month):
        print("error: --month is YYYY-MM")
        return 2
    roots: dict[int, str] = {}
    if args.url:
        view = _fetch(args.url, args.token or os.environ.get("CARECRED_TOKEN"), args.month)
    else:
        app = open_application("credential", Settings.from_env())
        try:
            view = app.draws.draw_of(args.month)
            app.audit.tree_size()
            roots = {r.round: app.audit.root(r.log_size).hex() for r in view.rounds if r.log_size is not None}
        finally:
            app.close()
    mismatch = False
    for published in view.rounds:
        label = f"{args.month} round {published.round}" + (f" (redraw: {published.reason})" if published.reason else "")
        problems = round_problems(args.month, published, beacon=args.beacon)
        if problems == ["not drawn yet"]:
            print(f"{label}: announced, not drawn yet")
            continue
        if published.round in roots and roots[published.round] != published.log_root:
            problems.append(f"the log root at size {published.log_size} is not the one recorded")
        mismatch = mismatch or bool(problems)
        print(f"{label}: {'MISMATCH: ' + '; '.join(problems) if problems else 'match'}")
        for pair in published.pairs or []:
            print(f"  {pair.nursery_id}  {pair.inspector_id}")
    return 1 if mismatch else 0
