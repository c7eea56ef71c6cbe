"""Required hours converge on the credential side without waiting for a completion.

The credential service keeps each person's year totals from the training feed. When the
registrar adopts rules for this year, or an assignment starts or ends mid-year (pro-rating),
the training service restates the affected people's totals on its feed (``totals.restated.v1``)
and the credential service's roster figures follow at once. A store whose registry follower read
the assignments before it kept them gets them back by re-reading the feed from the start
(``carecred followers reread``), idempotently.
"""

from __future__ import annotations

import datetime as dt

import pytest

from contracts.events.training import TotalsRestated
from contracts.training import HoursByCategory, NewTrainingRules, RoleHours
from services.credential.read_models.training_status import training_of
from shared.audit.replay import replay
from shared.district import today
from tests.audit_support import use_settings
from tests.conftest import issue
from tests.integration.certification_world import REGISTRAR, assign, certificate, nursery, person

THIS_YEAR = today().year
JULY = dt.date(THIS_YEAR, 7, 1)


@pytest.fixture
def both(credential_http, training_http, monkeypatch):
    """Both services, each following the other's feed through its test client."""
    credential, training = credential_http.app.state.service, training_http.app.state.service
    registry, ledger = training.followers[0], credential.followers[0]
    feed_keys = {"credential": issue(credential, "service"), "training": issue(training, "service")}
    monkeypatch.setattr(registry, "_fetch", lambda after: registry.decoder.decode(
        credential_http.get(f"/v1/feed?after={after}", headers=feed_keys["credential"]).content))
    monkeypatch.setattr(ledger, "_fetch", lambda after: ledger.decoder.decode(
        training_http.get(f"/v1/feed?after={after}", headers=feed_keys["training"]).content))

    def sync():
        assert registry.attempt() and ledger.attempt(), (registry.error, ledger.error)

    return credential, training, sync


def rules_v2() -> NewTrainingRules:
    return NewTrainingRules(version=2, applies_from_year=THIS_YEAR, default=HoursByCategory(skills=72, ethics=40),
                            roles=[RoleHours(role="nursery_worker", skills=60, ethics=30)],
                            note="按岗位区分学时；年中入职按在岗月数折算", pro_rata=True)


def owed(credential, staff_id):
    status = training_of(credential.store, [staff_id], THIS_YEAR)[staff_id]
    return None if status is None else (status.skills_required, status.ethics_required)


def restated(training):
    return [i.event for i in training.publisher.page(0, 10_000).items if isinstance(i.event, TotalsRestated)]


def staffed(credential, sync):
    """A 保育员 in post all year and one to be hired on 1 July, known to both services (rules v1 at first)."""
    zhujing = nursery(credential, "朱泾一托")
    veteran, hire = person(credential, "王芳", zhujing), person(credential, "李丽", zhujing)
    for someone in (veteran, hire):
        for cert_type in ("nursery_worker", "health"):
            certificate(credential, someone, cert_type, dt.date(THIS_YEAR - 3, 1, 1), dt.date(THIS_YEAR + 3, 1, 1))
    assign(credential, veteran, zhujing, "nursery_worker", dt.date(THIS_YEAR - 2, 9, 1))
    sync()
    return zhujing, veteran, hire


def test_adopting_rules_for_this_year_restates_everyone_in_post_and_the_credential_side_follows(both):
    credential, training, sync = both
    zhujing, veteran, hire = staffed(credential, sync)
    assert owed(credential, veteran) == (72, 40)  # rules v1, restated when the assignment was learned
    training.rules.adopt(rules_v2(), REGISTRAR)
    sync()
    assert owed(credential, veteran) == (60, 30)  # no completion in between
    last = [e for e in restated(training) if e.staff_id == veteran][-1]
    assert (last.reason, last.totals.rules_version, last.totals.skills_hours) == ("rules_adopted", 2, 0)
    assert replay(training).identical


def test_a_mid_year_hire_is_held_to_the_months_in_post_from_the_day_the_assignment_is_learned(both):
    credential, training, sync = both
    training.rules.adopt(rules_v2(), REGISTRAR)
    zhujing, veteran, hire = staffed(credential, sync)
    assign(credential, hire, zhujing, "nursery_worker", JULY)  # July to December: 6 of 12 months
    sync()
    assert owed(credential, hire) == (30, 15)
    assert training.store.query("SELECT * FROM requirement_changes") == []  # the queue is emptied
    assert [e.reason for e in restated(training) if e.staff_id == hire] == ["assignment_changed"]


def test_a_store_that_read_assignments_before_it_kept_them_gets_them_back_by_re_reading_the_feed(
        both, settings, monkeypatch):
    from carecred.cli import main

    credential, training, sync = both
    training.rules.adopt(rules_v2(), REGISTRAR)
    zhujing, veteran, hire = staffed(credential, sync)
    assign(credential, hire, zhujing, "nursery_worker", JULY)
    sync()
    kept = training.store.query("SELECT assignment_id, staff_id, role, starts_on FROM person_assignments"
                                " ORDER BY assignment_id")
    with training.store.transaction(commit=True) as cur:  # as an older version left it
        cur.execute("DELETE FROM person_assignments")
    assert training.ledger.person_year(hire, THIS_YEAR).skills.required == 72  # owes the full year

    use_settings(monkeypatch, settings)
    for _ in range(2):  # re-reading is idempotent
        assert main(["followers", "reread", "--service", "training"]) == 0
        assert main(["followers", "reread", "--service", "credential"]) == 0
        sync()
        assert training.store.query("SELECT assignment_id, staff_id, role, starts_on FROM person_assignments"
                                    " ORDER BY assignment_id") == kept
        assert training.ledger.person_year(hire, THIS_YEAR).skills.required == 30
        assert owed(credential, hire) == (30, 15) and owed(credential, veteran) == (60, 30)
    assert credential.store.query_one("SELECT COUNT(*) AS n FROM training_totals")["n"] == 2
