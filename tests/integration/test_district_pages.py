"""The district report reads its people a range of staff ids at a time: any page size gives the same
figures, now and as recorded at an instant, with people who work at two nurseries and training totals."""

import datetime as dt

import pytest

from contracts.credentials import AssignmentEnd
from contracts.events.training import CompletionRecorded, YearTotals
from services.credential.application import Credentials, queries
from services.credential.read_models.training_status import apply as apply_training
from tests.integration.certification_world import REGISTRAR, assign, certificate, nursery, person

D = dt.date.fromisoformat
ON = D("2026-10-01")
VALID = (D("2026-01-01"), D("2027-12-31"))


@pytest.fixture
def credentials(settings):
    app = Credentials(settings)
    yield app
    app.close()


def trained(app, staff_id: str, position: int, skills: float, ethics: float) -> None:
    event = CompletionRecorded(
        completion_id=f"c{position}", staff_id=staff_id, provider_id="p", course_code=f"SK-{position}",
        category="skills", hours=8.0, completed_on=ON, counted=True,
        totals=YearTotals(year=ON.year, skills_hours=skills, ethics_hours=ethics, skills_required=72.0,
                          ethics_required=40.0),
    )
    with app.store.transaction(commit=True) as cur:
        apply_training(cur, event, position)


def test_every_page_size_gives_the_same_report(credentials, monkeypatch):
    public_kg = nursery(credentials, "石化一幼", "石化街道", "public", "kindergarten")
    other = nursery(credentials, "朱泾一托", "朱泾镇", "public", "nursery")
    people = []
    for i in range(7):
        someone = person(credentials, f"教师{i}", public_kg)
        certificate(credentials, someone, "teacher", *VALID)
        lapsed = i % 3 == 0  # the health check lapsed after the start: not certified on the day
        certificate(credentials, someone, "health", D("2025-09-15") if lapsed else VALID[0],
                    D("2026-09-14") if lapsed else VALID[1])
        if i % 2:
            certificate(credentials, someone, "infant_care", *VALID)
        assign(credentials, someone, public_kg, "teacher", D("2026-09-01"))
        people.append(someone)
    for i in (1, 4, 5):  # two nurseries each: counted once in the district, once in each nursery
        certificate(credentials, people[i], "nursery_worker", *VALID)
        assign(credentials, people[i], other, "nursery_worker", D("2026-09-15"))
    certificate(credentials, people[2], "nursery_worker", *VALID)
    ended = assign(credentials, people[2], other, "nursery_worker", D("2026-02-01"))
    credentials.assignments.end_assignment(ended, AssignmentEnd(end_on=D("2026-08-31"), reason="调离"),
                                           visible_to=None, actor=REGISTRAR)
    certificate(credentials, people[2], "teacher", D("2026-01-01"), D("2026-10-20"))  # expires in 19 days
    idle = person(credentials, "待岗者", other)  # not at work: counted among the expiring now, not as recorded
    certificate(credentials, idle, "health", D("2026-01-01"), D("2026-11-20"))
    for position, i in enumerate((0, 1, 4), start=1):
        trained(credentials, people[i], position, 80.0 if i != 4 else 10.0, 40.0)
    as_of = dt.datetime.now(dt.UTC)
    late = person(credentials, "后来者", other)  # recorded after the instant
    certificate(credentials, late, "nursery_worker", *VALID)
    certificate(credentials, late, "health", *VALID)
    assign(credentials, late, other, "nursery_worker", D("2026-09-20"))

    now, then = credentials.reports.district_figures(on=ON), credentials.reports.district_figures(on=ON, as_of=as_of)
    assert (now.people, then.people) == (8, 7)
    assert now.compliant_people == 5  # 1, 2, 4, 5 and the late one (0, 3 and 6: health lapsed)
    assert {f.nursery_id: f.people for f in now.nurseries} == {public_kg: 7, other: 4}
    assert (now.expiring_within_30, now.expiring_within_60, now.expiring_within_90) == (1, 2, 2)
    assert (then.expiring_within_30, then.expiring_within_60, then.expiring_within_90) == (1, 1, 1)
    assert now.training_complete_people == then.training_complete_people == 2
    assert (now.public_kindergarten_teachers.teachers, now.public_kindergarten_teachers.with_infant_care) == (7, 3)
    for size in (1, 2, 3, 5):
        monkeypatch.setattr(queries, "DISTRICT_PAGE", size)
        assert credentials.reports.district_figures(on=ON) == now
        assert credentials.reports.district_figures(on=ON, as_of=as_of) == then
