"""``carecred issuer-keys``: the keys that sign portable credentials (docs/credentials.md)."""

from __future__ import annotations

import argparse
import getpass
from typing import Any

from shared.auth.roles import operator_actor
from shared.settings import Settings


def register(subparsers: Any) -> None:
    """Add ``issuer-keys`` to the ``carecred`` command."""
    keys = subparsers.add_parser("issuer-keys", help="list and rotate the issuer keys of portable credentials")
    actions = keys.add_subparsers(required=True, metavar="ACTION")
    actions.add_parser("list", help="the published keys (the DID document), newest last").set_defaults(run=_list)
    actions.add_parser("rotate", help="a new key signs from now on; older ones stay published").set_defaults(run=_rotate)


def _portable() -> Any:
    from carecred.services import open_application

    app = open_application("credential", Settings.from_env())
    return app, app.portable


def _list(args: argparse.Namespace) -> int:
    app, portable = _portable()
    try:
        print(f"issuer {portable.issuer.did}")
        for key in portable.keys.published():
            print(f"{key['generation']:>3}  {portable.issuer.did}#{key['kid']}  {key['jwk']['crv']}")
    finally:
        app.close()
    return 0


def _rotate(args: argparse.Namespace) -> int:
    app, portable = _portable()
    try:
        kid = portable.keys.generate(operator_actor(getpass.getuser()))
        print(f"issuer key {portable.issuer.did}#{kid} signs from now on; private key in {portable.keys.key_store.directory}")
    finally:
        app.close()
    return 0
