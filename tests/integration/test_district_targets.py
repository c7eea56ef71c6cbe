"""The plan's targets on any date, counted by hand on a small district across 2026 (both storages)."""

from __future__ import annotations

import pytest

from contracts.credentials import NewAssignment
from contracts.keys import Role
from contracts.registry import NurseryDetails, NurseryStatusChange
from services.credential.application import Credentials
from shared.audit.replay import replay
from shared.errors import Conflict, Invalid
from tests.conftest import issue
from tests.integration.certification_world import REGISTRAR, person
from tests.integration.district_year import D, make_district_year, opened, worker


@pytest.fixture
def credentials(settings):
    app = Credentials(settings)
    yield app
    app.close()


def counts(targets):
    return {t.code: (t.numerator, t.denominator, t.met) for t in targets.targets}


def covered(targets):
    return sorted(t.town for t in targets.towns if t.covered)


def test_the_plans_targets_follow_the_nurseries_through_the_year(credentials):
    world = make_district_year(credentials)

    # 1 April: open and offering care: 朱泾 枫泾 张堰 亭林 吕巷 (石化一幼 has no 托班 yet; 山阳 opens in 2027).
    april = credentials.targets.targets(on=D("2026-04-01"))
    assert covered(april) == sorted(["朱泾镇", "枫泾镇", "张堰镇", "亭林镇", "吕巷镇"])
    by_hand = counts(april)
    assert by_hand["town_coverage"] == (5, 11, False)
    assert by_hand["inclusive_share"] == (3, 5, False)  # 朱泾 张堰 亭林 of 5
    assert by_hand["kindergarten_nursery_classes"] == (1, 2, True)  # 张堰 of 石化 张堰: 50%
    # People at work: 保育员甲, 教师甲, 教师乙, 保育员乙, 保育员丙 (丙's health certificate lapsed 31 March): 4 of 5.
    assert by_hand["certified_rate"] == (4, 5, False)
    assert by_hand["infant_care_share"] == (1, 2, False)  # 石化一幼 is a public kindergarten: 教师甲 of 甲 乙
    assert by_hand["training_completion"] == (0, 5, False)  # the training service has told nothing yet

    # 15 May: 亭林 suspended.
    may = credentials.targets.targets(on=D("2026-05-15"))
    assert counts(may)["town_coverage"] == (4, 11, False) and "亭林镇" not in covered(may)
    assert counts(may)["inclusive_share"] == (2, 4, False)
    assert (may.open_facilities, may.suspended_facilities, may.closed_facilities) == (4, 1, 0)

    # 1 October: 亭林 reopened, 吕巷 closed, 枫泾 inclusive, 石化一幼 runs 托班.
    october = credentials.targets.targets(on=D("2026-10-01"))
    assert covered(october) == sorted(["朱泾镇", "枫泾镇", "石化街道", "张堰镇", "亭林镇"])
    assert counts(october)["inclusive_share"] == (5, 5, True)
    assert counts(october)["kindergarten_nursery_classes"] == (2, 2, True)
    assert (october.open_facilities, october.suspended_facilities, october.closed_facilities) == (5, 0, 1)

    # The same date as recorded before 吕巷's closure was: it was still open and covering 吕巷镇.
    before = credentials.targets.targets(on=D("2026-10-01"), as_of=world.before_closing)
    assert "吕巷镇" in covered(before) and before.closed_facilities == 0
    assert counts(before)["inclusive_share"] == (5, 6, False)
    assert before.as_of is not None

    # 2027: 山阳 opens.
    assert "山阳镇" in covered(credentials.targets.targets(on=D("2027-01-02")))


def test_staff_left_at_a_closed_or_suspended_nursery_are_flagged(credentials):
    world = make_district_year(credentials)
    life = credentials.nursery_lifecycle
    assert [(s.name, s.status) for s in life.staff_at_closed(D("2026-05-15"))] == [("保育员丙", "suspended")]
    assert life.staff_at_closed(D("2026-06-15")) == []
    (flag,) = life.staff_at_closed(D("2026-07-01"))
    assert (flag.name, flag.nursery_id, flag.status, flag.status_since) == ("保育员乙", world.ids["吕巷"], "closed", "2026-06-30")
    assert life.staff_at_closed(D("2026-07-01"), visible_to=world.ids["朱泾"]) == []


def test_nobody_is_assigned_at_a_closed_nursery_and_a_closed_one_does_not_change(credentials):
    world = make_district_year(credentials)
    newcomer = person(credentials, "新人", world.ids["吕巷"])
    stored = credentials.recorder.max_notification_id()
    with pytest.raises(Conflict) as refused:
        credentials.assignments.assign(NewAssignment(staff_id=newcomer, role="nursery_worker", start_on=D("2026-07-01")),
                                       nursery_id=world.ids["吕巷"], actor=REGISTRAR)
    assert refused.value.code == "nursery_closed"
    with pytest.raises(Conflict) as reopened:
        credentials.nursery_lifecycle.reopen(world.ids["吕巷"], NurseryStatusChange(effective_on=D("2026-08-01"), reason="x"), REGISTRAR)
    assert reopened.value.code == "nursery_closed"
    with pytest.raises(Invalid) as backwards:
        credentials.nursery_lifecycle.change_details(
            world.ids["枫泾"], NurseryDetails(effective_on=D("2026-06-01"), name="枫泾宝宝", reason="更名"), REGISTRAR)
    assert backwards.value.field == "effective_on"
    assert credentials.recorder.max_notification_id() == stored


def test_the_nursery_shows_its_life_and_old_kinds_keep_their_meaning(credentials):
    world = make_district_year(credentials)
    history = credentials.nursery_lifecycle.history(world.ids["亭林"])
    assert [(h.change, h.effective_on, h.status) for h in history] == [
        ("registered", history[0].effective_on, "open"), ("opened", "2026-02-01", "open"),
        ("suspended", "2026-05-10", "suspended"), ("reopened", "2026-06-01", "open")]
    view = credentials.registry.nursery(world.ids["吕巷"])
    assert (view.status, view.status_since, view.opened_on) == ("closed", "2026-06-30", "2025-01-01")
    assert credentials.registry.nursery(world.ids["亭林"]).kind == "community"


def test_over_http_hr_sees_its_own_flags_and_the_registrar_closes(credential_http):
    app = credential_http.app.state.service
    world = make_district_year(app)
    registrar = issue(app, Role.REGISTRAR)
    hr_lvxiang, hr_zhujing = issue(app, Role.HR, world.ids["吕巷"]), issue(app, Role.HR, world.ids["朱泾"])
    flags = credential_http.get("/v1/nurseries/staff-at-closed?on=2026-07-01", headers=hr_lvxiang)
    assert flags.status_code == 200 and [f["name"] for f in flags.json()] == ["保育员乙"]
    assert credential_http.get("/v1/nurseries/staff-at-closed?on=2026-07-01", headers=hr_zhujing).json() == []
    refused = credential_http.post(f"/v1/nurseries/{world.ids['朱泾']}/closure", headers=hr_zhujing,
                                   json={"effective_on": "2026-12-01", "reason": "x"})
    assert refused.status_code == 403
    closed = credential_http.post(f"/v1/nurseries/{world.ids['朱泾']}/closure", headers=registrar,
                                  json={"effective_on": "2026-12-31", "reason": "合并"})
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    bad = credential_http.post(f"/v1/nurseries/{world.ids['枫泾']}/details", headers=registrar,
                               json={"effective_on": "2026-12-01", "kind": "school", "reason": "x"})
    assert bad.status_code == 422 and "kind" in bad.text
    targets = credential_http.get("/v1/district/targets?on=2026-10-01", headers=registrar)
    assert targets.status_code == 200
    assert {t["code"]: t["numerator"] for t in targets.json()["targets"]}["town_coverage"] == 5
    assert credential_http.get("/v1/district/targets", headers=hr_zhujing).status_code == 403


def test_a_nursery_that_becomes_a_kindergarten_counts_its_teachers_from_that_date(credentials):
    where = opened(credentials, "朱泾二托", "朱泾镇", "public", True, "nursery", "2025-09-01")
    worker(credentials, "教师丙", where, "teacher", "2026-01-05", "teacher", "health", "infant_care")
    credentials.nursery_lifecycle.change_details(
        where, NurseryDetails(effective_on=D("2026-09-01"), kind="kindergarten", name="朱泾二幼", reason="托幼一体"), REGISTRAR)
    before = credentials.reports.district_figures(on=D("2026-08-31"))
    after = credentials.reports.district_figures(on=D("2026-09-01"))
    assert before.public_kindergarten_teachers.teachers == 0 and before.nurseries[0].name == "朱泾二托"
    assert (after.public_kindergarten_teachers.teachers, after.public_kindergarten_teachers.with_infant_care) == (1, 1)
    assert after.nurseries[0].name == "朱泾二幼"


def test_a_replay_of_the_year_rebuilds_the_same_nursery_states(credentials):
    make_district_year(credentials)
    report = replay(credentials)
    assert "nursery_states" in report.tables and report.identical, [d.describe() for d in report.differences]
