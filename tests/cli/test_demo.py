"""The main job's seeding: a small district, a key per role, and nothing twice."""

from pathlib import Path

from litestar.testing import TestClient

from carecred.demo import HEALTH_CHECK_OVERDUE, NURSERIES, seed
from services.credential.app import create_app
from services.credential.application import Credentials
from services.credential.application.common import today
from services.training.application import TrainingRecords
from tests.conftest import bearer, make_settings


def test_demo_seeds_a_district_once_with_a_key_for_each_role(tmp_path):
    settings = make_settings("sqlite", tmp_path)
    issued = seed(settings)
    assert {role for role, _, _ in issued} == {"admin", "registrar", "hr", "provider", "inspector", "auditor"}
    assert (Path(settings.data_dir) / "feed.key").stat().st_mode & 0o777 == 0o600
    assert seed(settings) is None  # second start keeps the data, seeds nothing
    app = Credentials(settings)
    try:
        nurseries = {n.name: n for n in app.registry.nurseries()}
        assert len(nurseries) == 7
        # A realistic year: a community point, a closed nursery, a suspended one with its staff still there.
        assert nurseries["张堰镇社区托育点"].kind == "community"
        assert nurseries["吕巷镇小苗托育园"].status == "closed"
        assert nurseries["亭林镇小星星托育"].status == "suspended"
        flagged = app.nursery_lifecycle.staff_at_closed(today())
        assert flagged and {f.nursery_name for f in flagged} == {"亭林镇小星星托育"}
        targets = {t.code: t for t in app.targets.targets(on=today()).targets}
        assert (targets["town_coverage"].numerator, targets["town_coverage"].denominator) == (5, 11)
        assert (targets["kindergarten_nursery_classes"].numerator, targets["kindergarten_nursery_classes"].denominator) == (2, 2)
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


def test_the_demo_district_meets_the_plans_targets_but_for_the_lapses_it_shows_on_purpose(tmp_path):
    settings = make_settings("sqlite", tmp_path)
    registrar = next(token for role, _, token in seed(settings) if role == "registrar")
    with TestClient(create_app(settings)) as client:
        figures = client.get("/v1/district/figures", headers=bearer(registrar)).json()

    teachers = figures["public_kindergarten_teachers"]  # the plan: at least 75% hold 育婴员证
    assert teachers["meets_target"] and teachers["target"] == 0.75 and 0.75 <= teachers["share"] < 1, teachers
    assert (teachers["with_infant_care"], teachers["teachers"]) == (7, 8)  # as the README says: one has not got it yet
    lapsed = {NURSERIES[place].name for place in HEALTH_CHECK_OVERDUE}
    assert len(figures["nurseries"]) == len(NURSERIES)
    for nursery in figures["nurseries"]:  # the plan: 持证上岗率 100%, but where a lapse is shown on purpose
        on_purpose = 1 if nursery["name"] in lapsed else 0
        assert nursery["people"] - nursery["compliant_people"] == on_purpose, nursery
    assert figures["people"] - figures["compliant_people"] == len(HEALTH_CHECK_OVERDUE)


def test_the_demo_district_runs_on_policy_v2_with_levels_checks_and_a_cook(tmp_path):
    settings = make_settings("sqlite", tmp_path)
    hr = next(token for role, _, token in seed(settings) if role == "hr")
    app = Credentials(settings)
    try:
        assert app.policies.policy_on(today()).version == 2
        figures = app.reports.district_figures(on=today())
        assert figures.policy_version == 2
        cooks = sum(a.role == "cook" for n in app.registry.nurseries()
                    for e in app.reports.roster(n.nursery_id, on=today()).entries for a in e.assignments)
        assert cooks == len(NURSERIES)
        certificates = [c for n in app.registry.nurseries() for e in app.reports.roster(n.nursery_id, on=today()).entries
                        for c in app.reports.profile(e.staff_id, on=today(), visible_to=None, with_integrity=False).certificates]
        kinds = {c.cert_type for c in certificates}
        assert {"health", "food_handler_health", "background_check", "teacher_kindergarten", "infant_care"} <= kinds
        assert {c.level for c in certificates if c.cert_type == "infant_care"} <= {4, 3, 2, 5}
        assert all(c.expires_on is None for c in certificates if c.cert_type == "teacher_kindergarten")
        assert app.reports.checks_due(on=today(), within=90)  # some checks fall due: HR has a list to show
    finally:
        app.close()
    with TestClient(create_app(settings)) as client:
        due = client.get("/v1/checks/due?within=90", headers=bearer(hr)).json()
        assert due and {d["kind"] for d in due} <= {"health_check", "background_check"}
