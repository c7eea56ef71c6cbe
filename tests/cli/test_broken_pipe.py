"""``carecred verify ... | head``: a reader that stops reading early ends the command quietly.

Each command runs as a real process whose stdout is a pipe nobody reads any more (its read end
closed before the command writes), so every write fails as it does once ``head`` has exited.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from carecred.cli import EXIT_BROKEN_PIPE
from tests.conftest import make_settings
from tests.e2e.processes import REPO
from tests.integration.badge_world import LI_NA, make_world
from tests.integration.test_badge_cli import _cache


def run_into_a_closed_pipe(*argv: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run([sys.executable, "-m", "carecred.cli", *argv], cwd=REPO, env=env or dict(os.environ),
                              stdout=write_end, stderr=subprocess.PIPE, timeout=120)
    finally:
        os.close(write_end)
    return done.returncode, done.stderr.decode()


@pytest.fixture
def badge(tmp_path):
    """A badge's QR text and a cache of the signed lists that verify it offline."""
    world = make_world(make_settings("sqlite", tmp_path))
    try:
        cache = tmp_path / "cache"
        _cache(world, cache)
        return world.issue().qr_text, cache
    finally:
        world.app.close()


def test_verify_into_a_pipe_closed_early_exits_quietly(badge):
    qr_text, cache = badge
    for extra in ([], ["--id-number", LI_NA], ["--json"]):
        code, stderr = run_into_a_closed_pipe("verify", qr_text, "--offline", "--cache-dir", str(cache), *extra)
        assert (code, stderr) == (EXIT_BROKEN_PIPE, ""), extra


@pytest.mark.parametrize("argv, code", [
    (["demo", "--no-serve"], EXIT_BROKEN_PIPE),
    (["--help"], 0), (["verify", "--help"], 0),  # argparse itself drops a help text nobody reads
])
def test_every_command_that_prints_exits_quietly_into_a_pipe_closed_early(argv, code, tmp_path):
    env = {**os.environ, "CARECRED_DATA_DIR": str(tmp_path / "data"), "CARECRED_STORAGE": "sqlite"}
    assert run_into_a_closed_pipe(*argv, env=env) == (code, "")


def test_a_broken_connection_of_the_command_itself_is_not_hidden_as_a_closed_reader(monkeypatch):
    import carecred.cli

    def upload_to_a_server_that_hung_up(args):
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(carecred.cli, "_health", upload_to_a_server_that_hung_up)
    with pytest.raises(BrokenPipeError):
        carecred.cli.main(["health", "credential"])
