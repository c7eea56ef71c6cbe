"""The main job's seeding: a small district, a key per role, and nothing twice."""

from carecred.demo import seed
from services.credential.application import Credentials
from tests.conftest import make_settings


def test_demo_seeds_a_district_once_with_a_key_for_each_role(tmp_path):
    settings = make_settings("sqlite", tmp_path)
    issued = seed(settings)
    assert {role for role, _, _ in issued} == {"admin", "registrar", "hr", "inspector", "auditor"}
    assert seed(settings) is None  # second start keeps the data, seeds nothing
    app = Credentials(settings)
    try:
        nurseries = app.nurseries()
        assert len(nurseries) == 5
        assert len(app.staff_list(limit=1000)) >= 20
        hr_scope = next(scope for role, scope, _ in issued if role == "hr")
        assert app.staff_list(visible_to=hr_scope)
        assert app.authenticate(issued[0][2]).role == "admin"
    finally:
        app.close()
