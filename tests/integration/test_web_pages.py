"""The pages are served with a strict Content-Security-Policy, and sign in with the same API keys."""

from __future__ import annotations

import hashlib
import json
import os

import pytest

from carecred import webdeps
from contracts.keys import Role
from tests.conftest import issue


@pytest.mark.parametrize("page", ["/app/scan", "/app/hr", "/app/district"])
def test_each_page_is_public_html_with_a_strict_content_security_policy(credential_http, page):
    response = credential_http.get(page)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    csp = response.headers["content-security-policy"]
    for directive in ("default-src 'self'", "script-src 'self'", "style-src 'self'", "connect-src 'self'",
                      "frame-ancestors 'none'"):
        assert directive in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "<script>" not in response.text and " style=" not in response.text  # nothing inline


def test_scripts_the_service_worker_and_the_fetched_qr_library_with_its_licence_are_served(credential_http):
    sw = credential_http.get("/app/sw.js")
    assert sw.status_code == 200 and sw.headers["content-type"].startswith("text/javascript")
    assert sw.headers["service-worker-allowed"] == "/app/"
    assert credential_http.get("/app/manifest.webmanifest").json()["start_url"] == "/app/scan"
    for script in ("wire.js", "badge.js", "visit.js", "scan.js"):
        assert credential_http.get(f"/app/{script}").status_code == 200
    lock = json.loads(webdeps.LOCK.read_text())
    if not webdeps.installed(lock):
        if os.environ.get("CI"):
            pytest.fail("scripts/test.sh fetches the web scripts (python -m carecred.webdeps) before the tests")
        pytest.skip("the web scripts are not fetched: python -m carecred.webdeps")
    jsqr = credential_http.get("/app/lib/jsQR.js")
    assert jsqr.status_code == 200 and jsqr.headers["content-type"].startswith("text/javascript")
    assert hashlib.sha256(jsqr.content).hexdigest() == json.loads(webdeps.STATE.read_text())["jsQR.js"]["sha256"]
    licence = credential_http.get("/app/lib/jsQR.LICENSE")
    assert licence.status_code == 200 and "Apache License" in licence.text and licence.headers["content-type"].startswith("text/plain")


@pytest.mark.parametrize("path", ["/app/..%2Fapp.py", "/app/lib/..%2F..%2Fhttp%2Fweb.py", "/app/scan.html",
                                  "/app/README.md", "/app/nothing.js", "/app/npm-lock.json", "/app/lib/.installed.json",
                                  "/app/vendor/jsQR.js"])
def test_nothing_but_the_pages_files_can_be_fetched(credential_http, path):
    assert credential_http.get(path).status_code == 404


def test_a_page_learns_its_keys_role_and_scope_but_only_with_a_key(credential_http):
    app = credential_http.app.state.service
    hr = issue(app, Role.HR, scope="3f1c9a52-7d0e-4a8b-9c1d-2e3f4a5b6c7d")
    assert credential_http.get("/app/whoami", headers=hr).json() == {
        "role": "hr", "scope": "3f1c9a52-7d0e-4a8b-9c1d-2e3f4a5b6c7d"}
    assert credential_http.get("/app/whoami").status_code == 401
    assert credential_http.get("/app/whoami", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_the_pages_name_roles_and_certificates_as_the_current_policy_does(credential_http):
    labels = credential_http.get("/app/labels.json").json()
    assert labels["roles"]["infant_caregiver"] == {"zh": "育婴员", "en": "Infant caregiver"}
    assert labels["certificate_types"]["health"]["zh"] == "健康证"
