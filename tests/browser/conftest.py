"""Browser tests: Debian's chromium driven by Playwright, against the credential service as a real process.

Without chromium (or the playwright package) the tests skip with a message; in CI (``CI`` set) they fail.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from carecred.services import open_application
from contracts.keys import Role
from services.credential.application import Credentials
from tests.conftest import make_settings
from tests.e2e.processes import REPO, District

from .world import PageWorld, seed, seed_training

ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = os.environ.get("CARECRED_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-default-apps",
]


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"browser tests must run in CI: {reason}")
    pytest.skip(f"{reason} (install with `apt-get install -y chromium` and `pip install playwright`)")


@pytest.fixture(scope="package")
def playwright_driver():
    """One browser driver for the browser tests; package scope ends its event loop before other tests run."""
    if not Path(CHROMIUM).exists():
        _unavailable(f"no chromium at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed")
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def district(tmp_path_factory):
    """Both services as real processes, seeded; ``.world`` holds keys, badges and staff ids."""
    tmp = tmp_path_factory.mktemp("pages")
    settings = make_settings("sqlite", tmp)
    d = District(settings, tmp)
    d.issue_service_keys(open_application)
    app = Credentials(settings)
    try:
        world = seed(app)
    finally:
        app.close()
    training = open_application("training", settings)
    try:
        for role in ("admin", "registrar"):
            training.issue_key(role=Role(role), scope=None, name=role, actor={"role": "test"}, token=world.tokens[role])
    finally:
        training.close()
    d.world = world  # type: ignore[attr-defined]
    try:
        d.start("credential")
        d.start("training")
        seed_training(d.processes["credential"], d.processes["training"], world)
        yield d
    finally:
        d.stop_all()


@pytest.fixture
def world(district) -> PageWorld:
    return district.world


@pytest.fixture
def launch(playwright_driver):
    """Launch chromium (optionally with a fake camera playing a file); closed after the test."""
    browsers = []

    def _launch(camera_file: Path | None = None):
        args = list(CHROMIUM_ARGS)
        if camera_file is not None:
            args += ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                     f"--use-file-for-fake-video-capture={camera_file}"]
        browser = playwright_driver.chromium.launch(executable_path=CHROMIUM, args=args, headless=True)
        browsers.append(browser)
        return browser

    yield _launch
    for browser in browsers:
        browser.close()


def shot(page, name: str) -> Path:
    """Save a full-page screenshot under test-artifacts/ (kept by CI as an artifact)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def watch_console(page) -> list[str]:
    """Collect console errors and uncaught exceptions (a CSP violation shows up here)."""
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    return problems
