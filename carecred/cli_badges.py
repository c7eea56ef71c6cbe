"""``carecred badge-keys``: the badge signing keys and the trust anchor (``carecred verify`` is in ``cli_verify``)."""

from __future__ import annotations

import argparse
import getpass
from typing import Any

from carecred import cli_verify
from shared.auth.roles import operator_actor
from shared.settings import Settings


def register(subparsers: Any) -> None:
    """Add ``badge-keys`` and ``verify`` to the ``carecred`` command."""
    keys = subparsers.add_parser("badge-keys", help="generate, rotate and list badge signing keys")
    actions = keys.add_subparsers(required=True, metavar="ACTION")
    generate = actions.add_parser("generate", help="first keys: the trust anchor and an active badge key")
    generate.add_argument("--algorithm", choices=["ES256", "EdDSA"], default="ES256")
    generate.set_defaults(run=_generate)
    rotate = actions.add_parser("rotate", help="a new active badge key; the old one stays trusted until its badges expire")
    rotate.add_argument("--algorithm", choices=["ES256", "EdDSA"], default="ES256")
    rotate.set_defaults(run=_rotate)
    actions.add_parser("list", help="keys and their lifecycle (never private keys)").set_defaults(run=_list)
    actions.add_parser("anchor", help="print the trust anchor's public key for verifiers to pin").set_defaults(run=_anchor)
    rotate_anchor = actions.add_parser(
        "rotate-anchor", help="a new trust anchor; the old one signs a handover, so pinned verifiers follow by themselves")
    rotate_anchor.add_argument("--algorithm", choices=["ES256", "EdDSA"], default="ES256")
    rotate_anchor.set_defaults(run=_rotate_anchor)
    cli_verify.register(subparsers)


# badge-keys ------------------------------------------------------------------------------------


def _service() -> Any:
    from carecred.services import open_application

    app = open_application("credential", Settings.from_env())
    return app, app.badges


def _actor() -> dict[str, Any]:
    return operator_actor(getpass.getuser())


def _generate(args: argparse.Namespace) -> int:
    app, badges = _service()
    try:
        if badges.keys.anchor(required=False) is None:
            anchor = badges.keys.generate(purpose="anchor", activate=True, actor=_actor())
            print(f"trust anchor {anchor.kid} generated; verifiers pin it (carecred badge-keys anchor)")
        key = badges.keys.generate(algorithm=args.algorithm, activate=True, actor=_actor())
        print(f"badge key {key.kid} ({key.algorithm}) generated and active; private key in {badges.key_store.directory}")
    finally:
        app.close()
    return 0


def _rotate(args: argparse.Namespace) -> int:
    app, badges = _service()
    try:
        old = badges.keys.active(required=False)
        key = badges.keys.rotate(algorithm=args.algorithm, actor=_actor())
        print(f"badge key {key.kid} ({key.algorithm}) is now active")
        if old is not None:
            retired = badges.keys.key(old.kid)
            print(f"badge key {old.kid} retired; trusted until {retired.valid_until}")
    finally:
        app.close()
    return 0


def _rotate_anchor(args: argparse.Namespace) -> int:
    app, badges = _service()
    try:
        old = badges.keys.anchor()
        new = badges.keys.rotate_anchor(algorithm=args.algorithm, actor=_actor())
        print(f"trust anchor {new.kid} ({new.algorithm}) is now active; {old.kid} signed the handover to it")
        print("verifiers that pinned the old anchor re-pin the new one at their next trust-list refresh;"
              f" the old anchor's private key ({badges.key_store.path(old.kid)}) is no longer needed")
    finally:
        app.close()
    return 0


def _list(args: argparse.Namespace) -> int:
    app, badges = _service()
    try:
        for k in badges.keys.list():
            state = (f"retired {k.retired_at}, trusted until {k.valid_until}" if k.retired_at
                     else "active" if k.activated_at else "generated")
            print(f"{k.kid}  {k.purpose:<6} {k.algorithm:<5}  since {k.activated_at or k.generated_at}  [{state}]")
    finally:
        app.close()
    return 0


def _anchor(args: argparse.Namespace) -> int:
    app, badges = _service()
    try:
        anchor = badges.keys.anchor()
        print(f"# trust anchor key id {anchor.kid}")
        print(anchor.public_key_pem, end="")
    finally:
        app.close()
    return 0
