"""``carecred verify``: an inspector checks a badge offline, with signed lists cached on disk.

The cache directory holds the pinned trust anchor, the signed trust and status lists, and the
URL they came from. Each check refreshes the lists from that URL first when they are more than
``REFRESH_AFTER`` seconds old (quietly going on with the cached copy when the service cannot be
reached), re-pins the trust anchor when the trust list shows a signed handover, and judges the
status list's age: past its maximum age the verdict is ``status_unknown``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import msgspec
from cryptography.hazmat.primitives import serialization

from shared.district import DISTRICT_TZ
from shared.settings import Settings

TRUST_LIST, STATUS_LIST, ANCHOR, SOURCE = "trust-list.cose", "status-list.cose", "trust-anchor.pem", "source-url"
REFRESH_AFTER = 300
"""Seconds after which a check first tries to refresh the cached lists (when it knows their URL)."""
REFRESH_TIMEOUT = 5

EXIT_VALID, EXIT_USAGE, EXIT_NOT_VALID = 0, 2, 3
EXIT_HOLDER_MISMATCH, EXIT_STATUS_UNKNOWN, EXIT_HOLDER_NOT_CHECKED = 4, 5, 6
EXIT_CODES = {"valid": EXIT_VALID, "holder_mismatch": EXIT_HOLDER_MISMATCH, "status_unknown": EXIT_STATUS_UNKNOWN}

HELP = f"""\
Verify a badge offline with cached signed lists (人证合一 with --id-number).

First time, while online:  carecred verify --refresh https://credential.example
After that each check refreshes the lists by itself when they are more than
{REFRESH_AFTER // 60} minutes old and the service answers; offline it uses the cached copy.

Freshness window: the status list (revocations and suspensions) is good for its
signed maximum age (the service's CARECRED_BADGE_STATUS_MAX_AGE_SECONDS, default
12 hours; CARECRED_BADGE_STATUS_MAX_AGE_SECONDS here can only shorten it). Within
it a valid badge reads "status as of <time>"; past it the verdict is
STATUS_UNKNOWN, because a suspension or revocation since then cannot be seen.

Exit codes:
  {EXIT_VALID}  VALID and the ID number typed is the holder's
  {EXIT_HOLDER_NOT_CHECKED}  VALID, but the holder was not checked (no --id-number, or the badge
     carries no holder binding): ask for the ID card
  {EXIT_HOLDER_MISMATCH}  HOLDER_MISMATCH: the ID number is not the badge holder's
  {EXIT_STATUS_UNKNOWN}  STATUS_UNKNOWN: genuine and current, but the status data is missing or too old
  {EXIT_NOT_VALID}  any other verdict: expired, not yet valid, revoked, suspended, invalid
     signature, unknown key, malformed
  {EXIT_USAGE}  no verdict: bad arguments, unreadable image, no usable cached lists
"""


def register(subparsers: Any) -> None:
    verify = subparsers.add_parser("verify", help="verify a badge offline with cached signed lists",
                                   description=HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    verify.add_argument("qr_text", nargs="?", help="the scanned text (TY1:...)")
    verify.add_argument("--image", type=Path, help="an image of the QR code (PNG, JPEG)")
    verify.add_argument("--id-number", help="the ID number on the holder's ID card (人证合一); never printed")
    verify.add_argument("--cache-dir", type=Path, help="where lists are cached (default: <data_dir>/verify-cache)")
    verify.add_argument("--refresh", metavar="URL",
                        help="download the lists from the credential service at URL and remember it for later refreshes")
    verify.add_argument("--offline", action="store_true", help="do not try to refresh the cached lists")
    verify.add_argument("--trust-list", type=Path, help=f"signed trust list file instead of cache/{TRUST_LIST}")
    verify.add_argument("--status-list", type=Path, help=f"signed status list file instead of cache/{STATUS_LIST}")
    verify.add_argument("--anchor", type=Path, help=f"pinned trust-anchor public key, PEM (default: cache/{ANCHOR})")
    verify.add_argument("--json", action="store_true", help="print the result as JSON")
    verify.set_defaults(run=_verify)


def fetch(url: str, timeout: float = 15) -> bytes:
    """GET a URL (the public well-known lists need no key)."""
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - the operator gives the URL
        return response.read()


def _pem(public_key: Any) -> bytes:
    return public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def _kid(public_key: Any) -> str:
    from services.credential.badges import cose

    return cose.key_id(public_key).hex()


def repin(anchor_path: Path, pinned: Any, trust: Any) -> None:
    """Pin the anchor the trust list was signed by, when a signed handover led there from the pinned one."""
    if trust.anchor is not None and _pem(trust.anchor) != _pem(pinned):
        anchor_path.write_bytes(_pem(trust.anchor))
        print(f"the trust anchor rolled over from {_kid(pinned)} to {_kid(trust.anchor)} "
              "(a handover signed by the pinned anchor); pinned the new one", file=sys.stderr)


def refresh(base: str, cache: Path, anchor_path: Path, *, timeout: float = 15) -> None:
    """Download, check and cache the lists from a credential service; remember where they came from."""
    from services.credential.badges.lists import StatusList, TrustList

    root = base.rstrip("/")
    well_known = root + "/.well-known/carecred/"
    cache.mkdir(parents=True, exist_ok=True)
    if not anchor_path.exists():
        pem = fetch(well_known + "trust-anchor", timeout)
        anchor_path.write_bytes(pem)
        print(f"pinned the trust anchor from {well_known}trust-anchor (compare its key id with the published one: "
              f"{_kid(serialization.load_pem_public_key(pem))})", file=sys.stderr)
    pinned = serialization.load_pem_public_key(anchor_path.read_bytes())
    trust_bytes, status_bytes = fetch(well_known + "trust-list", timeout), fetch(well_known + "status-list", timeout)
    trust = TrustList.parse(trust_bytes, pinned)  # refuse to cache anything the pinned anchor did not vouch for
    StatusList.parse(status_bytes, trust)
    repin(anchor_path, pinned, trust)
    (cache / TRUST_LIST).write_bytes(trust_bytes)
    (cache / STATUS_LIST).write_bytes(status_bytes)
    (cache / SOURCE).write_text(root + "\n")
    print(f"cached trust list ({len(trust.keys)} keys) and status list in {cache}", file=sys.stderr)


def _auto_refresh(cache: Path, anchor_path: Path) -> None:
    """Refresh from the remembered URL when the cached lists are old; offline, say so and go on."""
    source, status = cache / SOURCE, cache / STATUS_LIST
    if not source.exists() or (status.exists() and time.time() - status.stat().st_mtime < REFRESH_AFTER):
        return
    url = source.read_text().strip()
    try:
        refresh(url, cache, anchor_path, timeout=REFRESH_TIMEOUT)
    except (OSError, ValueError) as exc:
        print(f"offline: could not refresh from {url} ({exc}); using the cached lists", file=sys.stderr)


def _verify(args: argparse.Namespace) -> int:
    from services.credential.badges import qr
    from services.credential.badges.lists import ListError, StatusList, TrustList
    from services.credential.badges.verifier import Verifier

    settings = Settings.from_env()
    cache = args.cache_dir or Path(settings.data_dir) / "verify-cache"
    anchor_path = args.anchor or cache / ANCHOR
    if args.refresh:
        try:
            refresh(args.refresh, cache, anchor_path)
        except (OSError, ValueError) as exc:  # unreachable URL, HTTP error, or lists that do not verify
            print(f"error: cannot refresh from {args.refresh}: {exc}", file=sys.stderr)
            return EXIT_USAGE
        if not (args.qr_text or args.image):
            return EXIT_VALID
    if bool(args.qr_text) == bool(args.image):
        print("error: give the QR text or --image FILE (one of them)", file=sys.stderr)
        return EXIT_USAGE
    try:
        text = args.qr_text or qr.read_image(args.image)
    except (qr.QrUnreadable, OSError) as exc:
        print(f"error: cannot read a QR code from {args.image}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if not (args.offline or args.refresh or args.trust_list or args.status_list):
        _auto_refresh(cache, anchor_path)
    trust_path = args.trust_list or cache / TRUST_LIST
    status_path = args.status_list or cache / STATUS_LIST
    try:
        pinned = serialization.load_pem_public_key(anchor_path.read_bytes())
        trust = TrustList.parse(trust_path.read_bytes(), pinned)
        status = StatusList.parse(status_path.read_bytes(), trust) if status_path.exists() else None
    except FileNotFoundError as exc:
        print(f"error: {exc.filename} is missing; run `carecred verify --refresh URL` first", file=sys.stderr)
        return EXIT_USAGE
    except (ListError, ValueError) as exc:
        print(f"error: the cached lists are not usable: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.anchor is None:
        repin(anchor_path, pinned, trust)
    verifier = Verifier(trust, status, skew_seconds=settings.badge_clock_skew_seconds, source="cached",
                        max_status_age=settings.badge_status_max_age_seconds)
    result = verifier.verify(text, id_number=args.id_number)
    if args.json:
        print(msgspec.json.encode(result).decode())
    else:
        _print(result)
    return exit_code(result)


def exit_code(result: Any) -> int:
    """The exit code of a verdict (see ``HELP``)."""
    if result.verdict == "valid" and result.holder_check != "match":
        return EXIT_HOLDER_NOT_CHECKED
    return EXIT_CODES.get(result.verdict, EXIT_NOT_VALID)


def local(moment: dt.datetime | None) -> str:
    """A time as an inspector in the district reads it."""
    if moment is None:
        return "unknown"
    try:
        return moment.astimezone(DISTRICT_TZ).strftime("%Y-%m-%d %H:%M") + " (Shanghai)"
    except OverflowError:  # the far end of time (a certificate valid until 9999-12-31)
        return moment.isoformat()


def _age(seconds: int | None) -> str:
    if seconds is None:
        return "unknown age"
    hours, rest = divmod(seconds, 3600)
    return f"{hours}h {rest // 60}m old" if hours else f"{rest // 60}m {rest % 60}s old"


HOLDER_LINES = {
    "match": "ID number matches the holder (人证合一): yes",
    "mismatch": "ID number matches the holder (人证合一): NO — not this badge's holder",
    "not_checked": "HOLDER NOT CHECKED (人证合一): give --id-number from the ID card",
    "unavailable": "HOLDER CANNOT BE CHECKED offline (人证合一): this badge carries no holder binding",
}


def _print(result: Any) -> None:
    print(f"verdict: {result.verdict.upper()} — {result.reason}")
    status = result.status
    if status is not None and status.issued_at is not None:
        stale = "  STALE: past its maximum age, refresh the lists" if status.stale else ""
        print(f"status as of {local(status.issued_at)}, {_age(status.age_seconds)}; "
              f"good until {local(status.expires_at)}{stale}")
    else:
        print("status: no status list — revocation and suspension NOT checked")
    holder = result.holder
    if holder is not None:
        print(HOLDER_LINES[result.holder_check])
        print(f"holder:  {holder.name}")
        print(f"nursery: {holder.nursery_name}")
        print(f"roles:   {', '.join(holder.roles)}")
        for c in holder.certificates:
            print(f"  certificate {c.type} {c.number}, valid through {c.expires_on.isoformat()}")
        print(f"badge:   {holder.badge_id}, issued {local(result.issued_at)}, expires {local(result.expires_at)}")
    trust = result.trust
    if trust is not None and trust.issued_at is not None:
        expired = "  EXPIRED: refresh the lists" if trust.stale else ""
        print(f"trust list: issued {local(trust.issued_at)}, {_age(trust.age_seconds)}{expired}")
