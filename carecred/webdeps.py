"""Fetch the web pages' third-party scripts from the npm registry: pinned, integrity-checked, never committed.

``services/credential/web/npm-lock.json`` pins each package (version, tarball URL, the registry's
sha512 ``integrity``) and names the files to keep — the built script and its LICENSE. This
downloads each tarball, refuses it unless its sha512 matches, and writes those files into
``services/credential/web/lib/`` (git-ignored), where the credential service serves them under
``/app/lib/`` and the scanner's service worker caches them. ``shared/http/apidocs/npm-lock.json`` does
the same for the API docs page's assets (Swagger UI), into ``shared/http/apidocs/lib/`` (git-ignored),
which both services serve under ``/schema/assets/``. Run again, it does nothing while the
files there are the ones the lock names (``.installed.json`` records their SHA-256).

Standard library only (urllib, tarfile, hashlib): it runs on a fresh machine that has nothing but
Python, and no Node or npm. ``python -m carecred.webdeps [--check]``; scripts/demo.sh,
scripts/test.sh and the Dockerfile run it.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import sys
import tarfile
import urllib.request
from pathlib import Path

WEB = Path(__file__).resolve().parent.parent / "services" / "credential" / "web"
LOCK = WEB / "npm-lock.json"
LIB = WEB / "lib"
STATE = LIB / ".installed.json"
DOCS = Path(__file__).resolve().parent.parent / "shared" / "http" / "apidocs"
SETS = ((LOCK, LIB), (DOCS / "npm-lock.json", DOCS / "lib"))
"""Each lock and the directory its files go to: the pages' scripts, the API docs page's assets."""


class FetchError(RuntimeError):
    """A package could not be fetched, or is not the one the lock pins."""


def _integrity_ok(data: bytes, integrity: str) -> bool:
    algorithm, _, expected = integrity.partition("-")
    if algorithm != "sha512":
        raise FetchError(f"unsupported integrity {algorithm!r}: the lock pins sha512")
    return base64.b64encode(hashlib.sha512(data).digest()).decode("ascii") == expected


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _wanted(lock: dict) -> dict[str, str]:
    """Each file to have under lib/ → the integrity of the tarball it comes from."""
    return {name: package["integrity"] for package in lock["packages"].values() for name in package["files"].values()}


def installed(lock: dict, lib: Path = LIB) -> bool:
    """True when lib/ holds exactly what the lock names, unchanged since it was fetched."""
    state_file = lib / STATE.name
    if not state_file.exists():
        return False
    state = json.loads(state_file.read_text())
    wanted = _wanted(lock)
    return all(
        name in state and state[name]["integrity"] == integrity and (lib / name).is_file()
        and _sha256(lib / name) == state[name]["sha256"]
        for name, integrity in wanted.items()
    )


def fetch_package(name: str, package: dict, lib: Path, timeout: float = 60) -> dict[str, dict[str, str]]:
    """Download one pinned tarball, check it, extract its named files into lib/."""
    with urllib.request.urlopen(package["tarball"], timeout=timeout) as response:  # noqa: S310 - the lock's URL
        data = response.read()
    if not _integrity_ok(data, package["integrity"]):
        raise FetchError(f"{name}@{package['version']}: the tarball does not match the pinned integrity")
    written = {}
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member_name, target in package["files"].items():
            member = tar.getmember(member_name)
            source = tar.extractfile(member) if member.isfile() else None
            if source is None:
                raise FetchError(f"{name}@{package['version']}: {member_name} is not a file in the tarball")
            path = lib / target  # written by name, never by the tarball's own paths
            path.write_bytes(source.read())
            written[target] = {"package": f"{name}@{package['version']}", "integrity": package["integrity"],
                               "sha256": _sha256(path)}
    return written


def fetch_all(lock_path: Path = LOCK, lib: Path = LIB) -> bool:
    """Fetch what is missing; False when everything was there already."""
    lock = json.loads(lock_path.read_text())
    if installed(lock, lib):
        return False
    lib.mkdir(parents=True, exist_ok=True)
    state = {}
    for name, package in lock["packages"].items():
        state.update(fetch_package(name, package, lib))
    (lib / STATE.name).write_text(json.dumps(state, indent=2) + "\n")
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m carecred.webdeps", description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only say whether the files are in place (exit 1 if not)")
    args = parser.parse_args(argv)
    failed = 0
    for lock_path, lib in SETS:
        lock = json.loads(lock_path.read_text())
        if args.check:
            ok = installed(lock, lib)
            print("web scripts in place" if ok else f"web scripts missing or changed in {lib}: run python -m carecred.webdeps")
            failed |= not ok
            continue
        try:
            fetched = fetch_all(lock_path, lib)
        except (OSError, FetchError, KeyError, tarfile.TarError) as exc:
            print(f"error: cannot fetch the web pages' scripts from the npm registry: {exc}", file=sys.stderr)
            failed = 1
            continue
        names = ", ".join(f"{n}@{p['version']}" for n, p in lock["packages"].items())
        print(f"fetched {names} into {lib}" if fetched else f"web scripts in place ({names})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
