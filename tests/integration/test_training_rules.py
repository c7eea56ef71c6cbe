"""The registrar adopts training rules per role; a part year is pro-rated; each year keeps its rules.

Rules v1 are the 72/40 constants every store started with. A mid-year hire owes the months
they are in post; the rules version stands on every year's totals, in the ledger and on the
public feed; adopting new rules never changes what an earlier year (or an earlier day) said.
"""

from __future__ import annotations

import datetime as dt

import pytest

from contracts.events.credential import AssignmentEnded, StaffAssigned
from contracts.events.training import CompletionRecorded
from contracts.training import HoursByCategory, NewTrainingRules, RoleHours
from services.training.application import TrainingRecords
from services.training.read_models.registry_follower import apply
from shared.audit.replay import replay
from shared.district import today
from shared.errors import Conflict, Invalid
from tests.audit_support import audit_settings  # noqa: F401
from tests.conftest import issue
from tests.integration.training_world import NURSERY, REGISTRAR, approve, completion, learn_people, provider_actor

THIS_YEAR = today().year
EARLY_THIS_YEAR = f"{THIS_YEAR}-01-10T10:00:00+08:00"
LAST_YEAR = f"{THIS_YEAR - 1}-06-30T14:00:00+08:00"


def rules_v2(**overrides) -> NewTrainingRules:
    fields = dict(
        version=2, applies_from_year=THIS_YEAR, default=HoursByCategory(skills=72, ethics=40),
        roles=[RoleHours(role="head", skills=90, ethics=40), RoleHours(role="cook", skills=24, ethics=20)],
        note="按岗位区分学时；年中入职按在岗月数折算",
    )
    fields.update(overrides)
    return NewTrainingRules(**fields)


def assign(app, staff_id: str, role: str, starts_on: dt.date, number: int) -> str:
    assignment_id = f"a{number:035d}"
    with app.store.transaction(commit=True) as cur:
        apply(cur, StaffAssigned(assignment_id=assignment_id, staff_id=staff_id, nursery_id=NURSERY, role=role,
                                 starts_on=starts_on), number)
    return assignment_id


def end(app, assignment_id: str, staff_id: str, ends_on: dt.date, number: int) -> None:
    with app.store.transaction(commit=True) as cur:
        apply(cur, AssignmentEnded(assignment_id=assignment_id, staff_id=staff_id, nursery_id=NURSERY,
                                   ends_on=ends_on), number)


@pytest.fixture
def training(audit_settings):  # noqa: F811
    app = TrainingRecords(audit_settings)
    yield app
    app.close()


@pytest.fixture
def staffed(training):
    """SOU; a caregiver in post since last year, a caregiver hired on 1 July, a cook who left on 15 March."""
    sou = approve(training)
    veteran, hire, leaver = learn_people(training, 3)
    assign(training, veteran, "caregiver", dt.date(THIS_YEAR - 2, 9, 1), 1)
    assign(training, hire, "caregiver", dt.date(THIS_YEAR, 7, 1), 2)
    cooking = assign(training, leaver, "cook", dt.date(THIS_YEAR - 1, 3, 1), 3)
    end(training, cooking, leaver, dt.date(THIS_YEAR, 3, 15), 4)
    return training, sou, veteran, hire, leaver


def required(year) -> tuple[float, float]:
    return year.skills.required, year.ethics.required


def test_a_store_without_adopted_rules_answers_with_rules_v1_for_everyone(staffed):
    app, _, veteran, hire, leaver = staffed
    for person in (veteran, hire, leaver):
        year = app.ledger.person_year(person, THIS_YEAR)
        assert (year.rules_version, required(year), year.months_in_post) == (1, (72, 40), None)
    assert [v.version for v in app.rules.versions()] == [1]
    assert app.rules.version(1).adopted_at is None and app.rules.version(1).pro_rata is False


def test_a_mid_year_hire_owes_the_months_in_post_and_a_leaver_the_months_before_leaving(staffed):
    app, _, veteran, hire, leaver = staffed
    adopted = app.rules.adopt(rules_v2(), REGISTRAR)
    assert adopted.version == 2 and adopted.adopted_at is not None
    whole = app.ledger.person_year(veteran, THIS_YEAR)
    assert (whole.rules_version, required(whole), whole.months_in_post, whole.roles) == (2, (72, 40), 12, ["caregiver"])
    hired = app.ledger.person_year(hire, THIS_YEAR)  # July to December: 6 months
    assert (hired.rules_version, required(hired), hired.months_in_post) == (2, (36, 20), 6)
    left = app.ledger.person_year(leaver, THIS_YEAR)  # a cook (24/20), January to March: 3 months
    assert (required(left), left.months_in_post, left.roles) == ((6, 5), 3, ["cook"])


def test_a_part_year_is_rounded_up_to_the_half_hour(training):
    approve(training)
    (person,) = learn_people(training, 1)
    assign(training, person, "caregiver", dt.date(THIS_YEAR, 6, 20), 1)  # June to December: 7 months
    training.rules.adopt(rules_v2(), REGISTRAR)
    year = training.ledger.person_year(person, THIS_YEAR)
    assert year.months_in_post == 7
    assert required(year) == (42, 23.5)  # 72 x 7/12 = 42; 40 x 7/12 = 23.33 -> 23.5
    assert year.ethics.shortfall == 23.5


def test_a_change_of_rules_gives_the_old_year_and_the_old_day_their_old_answer(staffed):
    app, sou, _, hire, _ = staffed
    assign(app, hire, "caregiver", dt.date(THIS_YEAR - 1, 1, 1), 5)  # also worked all of last year
    app.posting.post_completions(sou, [completion("OLD-1", hire, at=LAST_YEAR)], provider_actor(sou))
    before = app.ledger.person_year(hire, THIS_YEAR)
    app.rules.adopt(rules_v2(default=HoursByCategory(skills=60, ethics=30), roles=[]), REGISTRAR)

    last_year = app.ledger.person_year(hire, THIS_YEAR - 1)
    assert (last_year.rules_version, required(last_year)) == (1, (72, 40))
    assert last_year.skills.earned == 8
    yesterday = app.ledger.person_year(hire, THIS_YEAR, on=today() - dt.timedelta(days=1))
    assert (yesterday.rules_version, required(yesterday)) == (before.rules_version, required(before)) == (1, (72, 40))
    now = app.ledger.person_year(hire, THIS_YEAR)
    assert (now.rules_version, required(now)) == (2, (60, 30))


def test_the_feed_carries_the_rules_version_and_each_position_keeps_its_answer(staffed):
    app, sou, _, hire, _ = staffed
    app.posting.post_completions(sou, [completion("BEFORE", hire, at=EARLY_THIS_YEAR)], provider_actor(sou))
    first = recorded_on_feed(app)
    app.rules.adopt(rules_v2(), REGISTRAR)
    app.posting.post_completions(sou, [completion("AFTER", hire, course="ET01", hours=4, at=EARLY_THIS_YEAR)],
                                 provider_actor(sou))
    events = recorded_on_feed(app)
    assert events[0] == first[0]  # the same position, the same event, after the rules changed
    old, new = (e.totals for e in events)
    assert (old.rules_version, old.skills_required, old.ethics_required) == (1, 72, 40)
    assert (new.rules_version, new.skills_required, new.ethics_required) == (2, 36, 20)
    assert (new.skills_hours, new.ethics_hours) == (8, 4)


def recorded_on_feed(app) -> list[CompletionRecorded]:
    page = app.publisher.page(0, 1000)
    return [item.event for item in page.items if isinstance(item.event, CompletionRecorded)]


def test_versions_follow_one_another_and_never_reach_back_into_a_past_year(staffed):
    app = staffed[0]
    with pytest.raises(Conflict) as skipped:
        app.rules.adopt(rules_v2(version=3), REGISTRAR)
    assert skipped.value.code == "rules_version"
    with pytest.raises(Invalid) as past:
        app.rules.adopt(rules_v2(applies_from_year=THIS_YEAR - 1), REGISTRAR)
    assert past.value.field == "applies_from_year"
    with pytest.raises(Invalid) as twice:
        app.rules.adopt(rules_v2(roles=[RoleHours(role="cook", skills=1, ethics=1)] * 2), REGISTRAR)
    assert twice.value.field == "roles[1].role"
    with pytest.raises(Invalid) as quarter:
        app.rules.adopt(rules_v2(default=HoursByCategory(skills=72.25, ethics=40)), REGISTRAR)
    assert quarter.value.field == "default.skills"
    assert [v.version for v in app.rules.versions()] == [1]  # nothing stored
    app.rules.adopt(rules_v2(applies_from_year=THIS_YEAR + 1), REGISTRAR)
    with pytest.raises(Invalid) as earlier:
        app.rules.adopt(rules_v2(version=3), REGISTRAR)
    assert earlier.value.code == "before_previous_rules"
    with pytest.raises(Conflict):
        app.rules.adopt(rules_v2(applies_from_year=THIS_YEAR + 1), REGISTRAR)


def test_adopted_rules_replay_to_the_same_read_models(staffed):
    app, sou, _, hire, _ = staffed
    app.rules.adopt(rules_v2(), REGISTRAR)
    app.posting.post_completions(sou, [completion("R-1", hire, at=EARLY_THIS_YEAR)], provider_actor(sou))
    report = replay(app)
    assert report.identical and report.events > 2


def test_only_the_registrar_adopts_rules_over_http(training_http):
    app = training_http.app.state.service
    body = {"version": 2, "applies_from_year": THIS_YEAR, "default": {"skills": 72, "ethics": 40},
            "roles": [{"role": "cook", "skills": 24, "ethics": 20}], "note": "按岗位"}
    hr = training_http.post("/v1/training-rules", json=body, headers=issue(app, "hr", NURSERY))
    assert hr.status_code == 403
    bad = training_http.post("/v1/training-rules", json={**body, "roles": [{"role": "Cook!", "skills": 1, "ethics": 1}]},
                             headers=issue(app, "registrar"))
    assert bad.status_code == 422 and "roles" in bad.text
    made = training_http.post("/v1/training-rules", json=body, headers=issue(app, "registrar"))
    assert made.status_code == 201, made.text
    assert made.json()["roles"] == [{"role": "cook", "skills": 24, "ethics": 20}]
    listed = training_http.get("/v1/training-rules", headers=issue(app, "hr", NURSERY))
    assert [v["version"] for v in listed.json()] == [1, 2]
    assert training_http.get("/v1/training-rules/9", headers=issue(app, "auditor")).status_code == 404
    assert training_http.get("/v1/training-rules/0", headers=issue(app, "auditor")).status_code == 422


def test_a_store_from_before_rules_were_data_answers_rules_v1_and_then_adopts_rules(audit_settings):  # noqa: F811
    app = TrainingRecords(audit_settings)
    sou = approve(app)
    (person,) = learn_people(app, 1)
    app.posting.post_completions(sou, [completion("OLD-1", person, at=LAST_YEAR)], provider_actor(sou))
    with app.store.transaction(commit=True) as cur:  # as the previous release left the store
        for table in ("training_rules", "trainers", "trainer_trainings", "sessions", "attendance", "assessments",
                      "subsidy_claims", "subsidy_events", "completion_deliveries", "person_assignments"):
            cur.execute(f"DROP TABLE {table}")
        cur.execute("DELETE FROM read_model_schemas WHERE read_model IN ('rules', 'delivery', 'assessments')")
    app.close()
    upgraded = TrainingRecords(audit_settings)
    try:
        upgraded.resume_stalled()
        year = upgraded.ledger.person_year(person, THIS_YEAR - 1)
        assert (year.rules_version, required(year), year.skills.earned) == (1, (72, 40), 8)
        upgraded.rules.adopt(rules_v2(), REGISTRAR)
        assert upgraded.ledger.person_year(person, THIS_YEAR - 1).rules_version == 1
        assert upgraded.ledger.person_year(person, THIS_YEAR).rules_version == 2
        assert replay(upgraded).identical
    finally:
        upgraded.close()
