"""``carecred badge-keys`` (signing keys) and ``carecred verify`` (offline badge checks).

``carecred verify`` exits 0 when the badge is valid, 3 for any other verdict.
"""

from __future__ import annotations

import argparse
import getpass
import sys
import urllib.request
from pathlib import Path
from typing import Any

import msgspec
from cryptography.hazmat.primitives import serialization

from shared.auth.roles import operator_actor
from shared.settings import Settings

TRUST_LIST, STATUS_LIST, ANCHOR = "trust-list.cose", "status-list.cose", "trust-anchor.pem"
EXIT_NOT_VALID = 3


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

    verify = subparsers.add_parser("verify", help="verify a badge offline with cached trust and status lists")
    verify.add_argument("qr_text", nargs="?", help="the scanned text (TY1:...)")
    verify.add_argument("--image", type=Path, help="an image of the QR code (PNG, JPEG)")
    verify.add_argument("--trust-list", type=Path, help=f"signed trust list (default: cache/{TRUST_LIST})")
    verify.add_argument("--status-list", type=Path, help=f"signed status list (default: cache/{STATUS_LIST})")
    verify.add_argument("--anchor", type=Path, help=f"pinned trust-anchor public key, PEM (default: cache/{ANCHOR})")
    verify.add_argument("--id-number", help="the ID number on the holder's ID card (人证合一); never printed")
    verify.add_argument("--cache-dir", type=Path, help="where lists are cached (default: <data_dir>/verify-cache)")
    verify.add_argument("--refresh", metavar="URL", help="download the lists from the credential service at URL into the cache")
    verify.add_argument("--json", action="store_true", help="print the result as JSON")
    verify.set_defaults(run=_verify)


# badge-keys ------------------------------------------------------------------------------------


def _service() -> Any:
    from carecred.services import open_application
    from services.credential.badges.service import badges_for

    app = open_application("credential", Settings.from_env())
    return app, badges_for(app)


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


# verify ----------------------------------------------------------------------------------------


def fetch(url: str) -> bytes:
    """GET a URL (the public well-known lists need no key)."""
    with urllib.request.urlopen(url, timeout=15) as response:  # noqa: S310 - the operator gives the URL
        return response.read()


def _refresh(base: str, cache: Path, anchor_path: Path) -> None:
    from services.credential.badges.lists import StatusList, TrustList

    base = base.rstrip("/") + "/.well-known/carecred/"
    cache.mkdir(parents=True, exist_ok=True)
    if not anchor_path.exists():
        pem = fetch(base + "trust-anchor")
        anchor_path.write_bytes(pem)
        print(f"pinned the trust anchor from {base}trust-anchor (compare its key id with the published one: "
              f"{_kid_of_pem(pem)})", file=sys.stderr)
    anchor = serialization.load_pem_public_key(anchor_path.read_bytes())
    trust_bytes, status_bytes = fetch(base + "trust-list"), fetch(base + "status-list")
    trust = TrustList.parse(trust_bytes, anchor)  # refuse to cache anything the pinned anchor did not sign
    StatusList.parse(status_bytes, trust)
    (cache / TRUST_LIST).write_bytes(trust_bytes)
    (cache / STATUS_LIST).write_bytes(status_bytes)
    print(f"cached trust list ({len(trust.keys)} keys) and status list in {cache}", file=sys.stderr)


def _kid_of_pem(pem: bytes) -> str:
    from services.credential.badges import cose

    return cose.key_id(serialization.load_pem_public_key(pem)).hex()  # type: ignore[arg-type]


def _verify(args: argparse.Namespace) -> int:
    from services.credential.badges import qr
    from services.credential.badges.lists import ListError, StatusList, TrustList
    from services.credential.badges.verifier import Verifier

    settings = Settings.from_env()
    cache = args.cache_dir or Path(settings.data_dir) / "verify-cache"
    anchor_path = args.anchor or cache / ANCHOR
    if args.refresh:
        try:
            _refresh(args.refresh, cache, anchor_path)
        except (OSError, ValueError) as exc:  # unreachable URL, HTTP error, or lists that do not verify
            print(f"error: cannot refresh from {args.refresh}: {exc}", file=sys.stderr)
            return 2
        if not (args.qr_text or args.image):
            return 0
    if bool(args.qr_text) == bool(args.image):
        print("error: give the QR text or --image FILE (one of them)", file=sys.stderr)
        return 2
    try:
        text = args.qr_text or qr.read_image(args.image)
    except (qr.QrUnreadable, OSError) as exc:
        print(f"error: cannot read a QR code from {args.image}: {exc}", file=sys.stderr)
        return 2
    trust_path = args.trust_list or cache / TRUST_LIST
    status_path = args.status_list or cache / STATUS_LIST
    try:
        anchor = serialization.load_pem_public_key(anchor_path.read_bytes())
        trust = TrustList.parse(trust_path.read_bytes(), anchor)
        status = StatusList.parse(status_path.read_bytes(), trust) if status_path.exists() else None
    except FileNotFoundError as exc:
        print(f"error: {exc.filename} is missing; run `carecred verify --refresh URL` first", file=sys.stderr)
        return 2
    except (ListError, ValueError) as exc:
        print(f"error: the cached lists are not usable: {exc}", file=sys.stderr)
        return 2
    verifier = Verifier(trust, status, skew_seconds=settings.badge_clock_skew_seconds, source="cached")
    result = verifier.verify(text, id_number=args.id_number)
    if args.json:
        print(msgspec.json.encode(result).decode())
    else:
        _print(result)
    return 0 if result.verdict == "valid" else EXIT_NOT_VALID


def _age(seconds: int | None) -> str:
    if seconds is None:
        return "unknown age"
    hours, rest = divmod(seconds, 3600)
    return f"{hours}h {rest // 60}m old" if hours else f"{rest // 60}m {rest % 60}s old"


def _print(result: Any) -> None:
    print(f"verdict: {result.verdict.upper()} — {result.reason}")
    holder = result.holder
    if holder is not None:
        print(f"holder:  {holder.name}  ID {holder.id_masked}")
        print(f"nursery: {holder.nursery_name}")
        print(f"roles:   {', '.join(holder.roles)}")
        for c in holder.certificates:
            print(f"  certificate {c.type} {c.number}, valid through {c.expires_on.isoformat()}")
        print(f"badge:   {holder.badge_id}, issued {result.issued_at:%Y-%m-%d %H:%M} UTC, expires {result.expires_at:%Y-%m-%d %H:%M} UTC")
    if result.id_match is not None:
        print(f"ID number matches the holder (人证合一): {'yes' if result.id_match else 'NO'}")
    for label, fresh in (("status list", result.status), ("trust list", result.trust)):
        if fresh is None or fresh.issued_at is None:
            print(f"{label}: none — revocation and suspension NOT checked")
            continue
        stale = "  STALE: past its time-to-live, refresh it" if fresh.stale else ""
        print(f"{label}: issued {fresh.issued_at:%Y-%m-%d %H:%M} UTC, {_age(fresh.age_seconds)}{stale}")
