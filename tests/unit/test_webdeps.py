"""Fetching the pages' third-party scripts: only the pinned tarball, only the named files, once."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import tarfile

import pytest

from carecred import webdeps


def tarball(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def lock_for(tmp_path, data: bytes, integrity: str | None = None) -> "Path":
    (tmp_path / "pkg.tgz").write_bytes(data)
    digest = integrity or "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
    lock = {"packages": {"qr": {"version": "1.0.0", "tarball": (tmp_path / "pkg.tgz").as_uri(), "integrity": digest,
                                "files": {"package/dist/qr.js": "qr.js", "package/LICENSE": "qr.LICENSE"}}}}
    path = tmp_path / "npm-lock.json"
    path.write_text(json.dumps(lock))
    return path


FILES = {"package/dist/qr.js": b"var jsQR = 1;", "package/LICENSE": b"Apache License", "package/evil.js": b"x",
         "../outside.js": b"escape"}


def test_the_pinned_tarball_gives_only_its_named_files_and_a_second_run_does_nothing(tmp_path):
    lock, lib = lock_for(tmp_path, tarball(FILES)), tmp_path / "lib"
    assert webdeps.fetch_all(lock, lib) is True
    assert sorted(p.name for p in lib.iterdir()) == [".installed.json", "qr.LICENSE", "qr.js"]
    assert (lib / "qr.js").read_bytes() == b"var jsQR = 1;" and not (tmp_path / "outside.js").exists()
    assert webdeps.fetch_all(lock, lib) is False
    (lib / "qr.js").write_text("tampered")
    assert not webdeps.installed(json.loads(lock.read_text()), lib)
    assert webdeps.fetch_all(lock, lib) is True and (lib / "qr.js").read_bytes() == b"var jsQR = 1;"


def test_a_tarball_that_does_not_match_the_pinned_integrity_is_refused(tmp_path):
    other = "sha512-" + base64.b64encode(hashlib.sha512(b"another release").digest()).decode()
    lock, lib = lock_for(tmp_path, tarball(FILES), integrity=other), tmp_path / "lib"
    with pytest.raises(webdeps.FetchError, match="integrity"):
        webdeps.fetch_all(lock, lib)
    assert not (lib / "qr.js").exists()


@pytest.mark.parametrize("lock_path", [lock for lock, _ in webdeps.SETS], ids=["pages", "api-docs"])
def test_the_repositorys_lock_pins_every_package_by_version_and_sha512_with_its_licence(lock_path):
    lock = json.loads(lock_path.read_text())
    for name, package in lock["packages"].items():
        assert package["integrity"].startswith("sha512-") and package["version"].count(".") == 2
        assert package["tarball"] == f"https://registry.npmjs.org/{name}/-/{name}-{package['version']}.tgz"
        assert any(target.endswith(".LICENSE") for target in package["files"].values()), name
