"""``carecred policy adopt|show``: a running store moves to policy v2 by one event, from the shipped file."""

import datetime as dt

from carecred.cli import main
from services.credential.application import Credentials
from services.credential.application.common import today
from services.credential.domain.policy import SHANGHAI_V2_PATH
from tests.audit_support import use_settings


def test_the_operator_adopts_policy_v2_from_its_file_in_force_from_a_later_day(settings, monkeypatch, capsys, tmp_path):
    use_settings(monkeypatch, settings)
    change = today() + dt.timedelta(days=30)
    assert main(["policy", "adopt", "--file", str(SHANGHAI_V2_PATH), "--note", "政策 v2",
                 "--effective-on", change.isoformat()]) == 0
    assert "adopted policy version 2" in capsys.readouterr().out
    assert main(["policy", "show", "--on", (change - dt.timedelta(days=1)).isoformat()]) == 0
    assert capsys.readouterr().out.startswith("version 1  in force from always")
    assert main(["policy", "show", "--on", change.isoformat()]) == 0
    shown = capsys.readouterr().out
    assert f"version 2  in force from {change}" in shown and "infant_care (level 4 or higher)" in shown
    app = Credentials(settings)
    try:
        assert app.policies.policy_on(change).version == 2 and app.policies.policy_on(today()).version == 1
    finally:
        app.close()


def test_a_bad_file_or_a_past_day_is_refused_and_nothing_is_adopted(settings, monkeypatch, capsys, tmp_path):
    use_settings(monkeypatch, settings)
    broken = tmp_path / "broken.json"
    broken.write_text('{"certificate_types": [], "roles": [{"code": "x"}]}')
    assert main(["policy", "adopt", "--file", str(broken), "--note", "试试"]) == 2
    assert main(["policy", "adopt", "--file", str(SHANGHAI_V2_PATH), "--note", "政策 v2",
                 "--effective-on", (today() - dt.timedelta(days=1)).isoformat()]) == 2
    assert "effective_on" in capsys.readouterr().err
    app = Credentials(settings)
    try:
        assert app.policies.current_policy().version == 1
    finally:
        app.close()
