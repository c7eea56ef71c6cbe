"""`carecred audit export` shows its progress on a terminal, and stays quiet in a pipe or a file."""

from __future__ import annotations

from carecred.cli import main
from carecred.services import open_application
from tests.audit_support import use_settings
from tests.integration.training_world import approve


def test_an_export_draws_a_bar_on_a_terminal_and_nothing_elsewhere(settings, tmp_path, monkeypatch, capsys):
    app = open_application("training", settings)
    try:
        approve(app)  # the provider and its 21 courses: 22 events
    finally:
        app.close()
    use_settings(monkeypatch, settings)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.setenv("TTY_COMPATIBLE", "0")  # as in a pipe, whatever runs the tests

    assert main(["audit", "export", "--service", "training", "--output", str(tmp_path / "quiet.ndjson")]) == 0
    assert capsys.readouterr().err == ""

    monkeypatch.setenv("TTY_COMPATIBLE", "1")  # as on a terminal
    assert main(["audit", "export", "--service", "training", "--output", str(tmp_path / "shown.ndjson")]) == 0

    events = len((tmp_path / "shown.ndjson").read_bytes().splitlines())
    assert events == 22
    assert (tmp_path / "shown.ndjson").read_bytes() == (tmp_path / "quiet.ndjson").read_bytes()
    shown = capsys.readouterr()
    assert "export training" in shown.err and f"{events}/{events}" in shown.err
    assert shown.out == ""
