"""An auditor re-verifies a month's draw against the running credential service, over HTTP only."""

from __future__ import annotations

import hashlib

import pytest

from carecred.cli import main
from carecred.services import open_application
from contracts.inspections import DrawAnnouncement, DrawReveal, NewInspector
from contracts.keys import Role
from shared.auth.keys import new_token
from tests.e2e.processes import District
from tests.integration.certification_world import REGISTRAR, nursery
from tests.integration.inspection_world import beacon_day, on_beacon_day


@pytest.fixture
def drawn(settings, tmp_path):
    """January drawn in the store, the credential service running, an auditor's token."""
    district = District(settings, tmp_path)
    district.issue_service_keys(open_application)
    auditor, seed = new_token(), "5e" * 32
    app = open_application("credential", settings)
    try:
        for name in ("朱泾镇阳光托育园", "枫泾镇小太阳托育园", "亭林镇托育园", "张堰镇托育园", "吕巷镇托育园", "石化街道托育园"):
            nursery(app, name)
        for name in ("王督导", "赵督导", "孙督导"):  # 6! orders x 3^6 inspectors: another beacon, another draw
            app.inspectors.register(NewInspector(name=name, unit="督导室"), REGISTRAR)
        app.draws.announce(DrawAnnouncement(month="2027-01", count=6, commitment=hashlib.sha256(bytes.fromhex(seed)).hexdigest(),
                                            beacon_source="福彩3D", beacon_on=beacon_day()), REGISTRAR)
        with on_beacon_day():
            app.draws.draw("2027-01", DrawReveal(seed=seed, beacon="8 0 2"), REGISTRAR)
        app.issue_key(role=Role.AUDITOR, scope=None, name="auditor", actor={"role": "test"}, token=auditor)
    finally:
        app.close()
    district.start("credential")
    yield district.url("credential"), auditor
    district.stop_all()


def test_verify_draw_over_http_matches_and_a_changed_beacon_does_not(drawn, capsys):
    url, token = drawn
    assert main(["inspections", "verify-draw", "--month", "2027-01", "--url", url, "--token", token]) == 0
    out = capsys.readouterr().out
    assert "2027-01 round 1: match" in out and len(out.strip().splitlines()) == 7  # the round and its six pairs
    assert main(["inspections", "verify-draw", "--month", "2027-01", "--url", url, "--token", token,
                 "--beacon", "8 0 3"]) == 1
    assert "MISMATCH" in capsys.readouterr().out
