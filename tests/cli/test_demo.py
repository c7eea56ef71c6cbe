"""The main job's seeding: a small district, a key per role, and nothing twice."""

from pathlib import Path

from carecred.demo import seed
from services.credential.application import Credentials
from services.credential.application.common import today
from services.training.application import TrainingRecords
from tests.conftest import make_settings


def test_demo_seeds_a_district_once_with_a_key_for_each_role(tmp_path):
    settings = make_settings("sqlite", tmp_path)
    issued = seed(settings)
    assert {role for role, _, _ in issued} == {"admin", "registrar", "hr", "provider", "inspector", "auditor"}
    assert (Path(settings.data_dir) / "feed.key").stat().st_mode & 0o777 == 0o600
    assert seed(settings) is None  # second start keeps the data, seeds nothing
    app = Credentials(settings)
    try:
        assert len(app.registry.nurseries()) == 5
        hr_scope = next(scope for role, scope, _ in issued if role == "hr")
        roster = app.reports.roster(hr_scope, on=today())
        assert roster.people >= 5
        assert not roster.entries[0].compliant  # a lapse to show first on the HR dashboard
        assert app.authenticate(issued[0][2]).role == "admin"
    finally:
        app.close()
    training = TrainingRecords(settings)
    try:
        assert {p.code for p in training.catalogue.providers()} == {"SOU"}
    finally:
        training.close()
