"""The registrar publishes 2026's figures signed and bound to a checkpoint; an auditor recomputes them from the log.

Later events (a closure recorded after publishing) do not change what the signed prefix gives;
a figure edited in the document, or a checkpoint that is not the log's, fails the check.
"""

from __future__ import annotations

import base64
import json

import msgspec

from carecred.cli import main
from contracts.district import NewAnnualFigures, SignedAnnualFigures
from contracts.keys import Role
from contracts.registry import NurseryStatusChange
from tests.audit_support import use_settings
from tests.conftest import issue
from tests.integration.certification_world import REGISTRAR
from tests.integration.district_year import D, make_district_year


def figure(document: dict, code: str) -> dict:
    return next(t for t in document["document"]["targets"]["targets"] if t["code"] == code)


def test_published_figures_verify_and_fail_when_altered(credential_http, settings, tmp_path, monkeypatch, capsys):
    client, app = credential_http, credential_http.app.state.service
    world = make_district_year(app)
    registrar, auditor = issue(app, Role.REGISTRAR), issue(app, Role.AUDITOR)
    published = client.post("/v1/district/annual-figures", headers=registrar, json={"year": 2026, "on": "2026-10-01"})
    assert published.status_code == 200, published.text
    document = published.json()
    # The same hand counts as on the live read models on 1 October (test_district_targets).
    assert (figure(document, "inclusive_share")["numerator"], figure(document, "inclusive_share")["denominator"]) == (5, 5)
    assert figure(document, "town_coverage")["numerator"] == 5
    assert figure(document, "certified_rate")["denominator"] == 5
    assert document["document"]["checkpoint"]["tree_size"] == app.audit.tree_size()

    # Events after publishing are not in the signed prefix: the figures still hold.
    app.nursery_lifecycle.close(world.ids["朱泾"], NurseryStatusChange(effective_on=D("2026-09-01"), reason="合并"), REGISTRAR)
    assert client.get("/v1/district/annual-figures/2026", headers=auditor).json() == document
    trusted = base64.b64decode(app.audit.public_key().public_key)
    assert app.annual_figures.verify(msgspec.convert(document, SignedAnnualFigures), trusted) == []

    good = tmp_path / "figures-2026.json"
    good.write_text(json.dumps(document, ensure_ascii=False))
    use_settings(monkeypatch, settings)
    assert main(["audit", "verify-figures", str(good)]) == 0
    assert "OK: the 2026 figures" in capsys.readouterr().out

    altered = json.loads(good.read_text())
    figure(altered, "inclusive_share")["numerator"] = 4
    (tmp_path / "altered.json").write_text(json.dumps(altered, ensure_ascii=False))
    assert main(["audit", "verify-figures", str(tmp_path / "altered.json")]) == 1
    err = capsys.readouterr().err
    assert "signature does not verify" in err and "figures.targets.targets[inclusive_share].numerator: published 4" in err

    moved = json.loads(good.read_text())
    moved["document"]["checkpoint"]["tree_size"] -= 1
    (tmp_path / "moved.json").write_text(json.dumps(moved, ensure_ascii=False))
    assert main(["audit", "verify-figures", str(tmp_path / "moved.json")]) == 1
    err = capsys.readouterr().err
    assert "checkpoint signature does not verify" in err and "not the checkpoint's" in err

    assert main(["audit", "verify-figures", str(tmp_path / "missing.json")]) == 2


def test_only_the_registrar_publishes(credential_http):
    app = credential_http.app.state.service
    for role in (Role.AUDITOR, Role.INSPECTOR):
        assert credential_http.post("/v1/district/annual-figures", headers=issue(app, role), json={"year": 2026}).status_code == 403
    bad = credential_http.post("/v1/district/annual-figures", headers=issue(app, Role.REGISTRAR),
                               json={"year": 2026, "on": "2025-12-31"})
    assert bad.status_code == 422 and "on" in bad.text
    assert credential_http.get("/v1/district/annual-figures/2025", headers=issue(app, Role.AUDITOR)).status_code == 404
    assert NewAnnualFigures(year=2026).on is None
