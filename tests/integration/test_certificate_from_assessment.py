"""A passed assessment (鉴定合格) issues or upgrades the certificate through the registrar's usual path.

The training service publishes every result on its feed; the credential service's follower keeps
them; the registrar lists the passes still pending and issues the certificate from one, giving its
number and issuing body. The log records which assessment each certificate came from, and a second
issue from the same assessment is refused.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from contracts.events.training import AssessmentRecorded
from services.credential.application.common import today
from services.credential.read_models.training_status import apply as apply_training
from shared.audit.replay import replay
from tests.audit_support import audit_settings  # noqa: F401
from tests.conftest import issue
from tests.integration.certification_world import nursery, person
from tests.integration.test_policy_v2 import adopt_v2, record

DAY = dt.timedelta(days=1)
SOU = str(uuid.uuid5(uuid.NAMESPACE_URL, "urn:test:provider:sou"))
_positions = iter(range(1, 10**6))


def published(app, staff_id, cert_type="nursery_worker", level=4, passed=True, days_ago=10) -> str:
    """What the training feed says after a provider posted a result (as the follower applies it)."""
    assessment_id = str(uuid.uuid4())
    event = AssessmentRecorded(assessment_id=assessment_id, staff_id=staff_id, provider_id=SOU,
                               certificate_type=cert_type, level=level, passed=passed,
                               assessed_on=today() - days_ago * DAY)
    with app.store.transaction(commit=True) as cur:
        apply_training(cur, event, next(_positions))
    return assessment_id


@pytest.fixture
def district(audit_settings):  # noqa: F811
    from litestar.testing import TestClient

    from services.credential.app import create_app

    with TestClient(create_app(audit_settings)) as client:
        app = client.app.state.service
        adopt_v2(app)
        zhujing = nursery(app, "朱泾一托")
        wang, li = person(app, "王芳", zhujing), person(app, "李丽", zhujing)
        record(app, wang, "nursery_worker", today() - 400 * DAY, level=5, by="上海市职业技能鉴定中心")
        yield client, app, {
            "wang": wang, "li": li, "nursery": zhujing,
            "registrar": issue(app, "registrar"), "auditor": issue(app, "auditor"), "hr": issue(app, "hr", zhujing),
        }


def passes(client, key, **params):
    answer = client.get("/v1/assessments/passed", headers=key, params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def from_assessment(client, key, assessment_id, number="GZ-3101-0042", **fields):
    return client.post(f"/v1/assessments/{assessment_id}/certificate", headers=key,
                       json={"number": number, "issuing_body": "上海市职业技能鉴定中心", **fields})


def test_a_pass_upgrades_the_certificate_once_and_the_log_says_which_assessment_it_came_from(district):
    client, app, w = district
    upgrade = published(app, w["wang"], level=4)                          # 五级 held, 四级 passed: an upgrade
    held = published(app, w["wang"], level=5, days_ago=20)                # 五级 again: already held
    first = published(app, w["li"], cert_type="infant_care", level=5, days_ago=5)  # 育婴员五级: a first one
    published(app, w["li"], level=3, passed=False)                        # not passed: not listed

    pending = passes(client, w["registrar"], pending="true")
    assert [(p["assessment_id"], p["cert_type"], p["level"], p["held_level"]) for p in pending] == [
        (upgrade, "nursery_worker", 4, 5), (first, "infant_care", 5, None)]
    everything = {p["assessment_id"]: p for p in passes(client, w["auditor"])}
    assert set(everything) == {upgrade, held, first}
    assert everything[held]["already_held"] and not everything[held]["pending"]

    issued = from_assessment(client, w["registrar"], upgrade)
    assert issued.status_code == 201, issued.text
    certificate = issued.json()
    assert (certificate["cert_type"], certificate["level"], certificate["holder_id"], certificate["standing"]) == (
        "nursery_worker", 4, w["wang"], "valid")
    assert certificate["issued_on"] == (today() - 10 * DAY).isoformat()  # the day assessed, unless given

    again = from_assessment(client, w["registrar"], upgrade, number="GZ-3101-0043")
    assert again.status_code == 409 and again.json()["code"] == "already_issued_from_assessment"
    assert again.json()["certificate_id"] == certificate["certificate_id"]

    after = {p["assessment_id"]: p for p in passes(client, w["registrar"])}
    assert after[upgrade]["certificate_id"] == certificate["certificate_id"]
    assert after[upgrade]["already_held"] and after[held]["held_level"] == 4
    assert [p["assessment_id"] for p in passes(client, w["registrar"], pending="true")] == [first]
    assert {p["assessment_id"] for p in passes(client, w["registrar"], pending="false")} == {upgrade, held}

    # The certificate event names the assessment; the link event ties both ids, in one transaction.
    events = [e for e in app.recorder.select_notifications(start=1, limit=10_000)]
    topics = [e.topic for e in events]
    issued_at = topics.index("carecred.credential:Certificate.Issued.v2", len(topics) - 3)
    assert topics[issued_at + 1] == "carecred.credential:CertificateFromAssessment.Issued.v1"
    assert upgrade in events[issued_at].state.decode("utf-8", "replace")
    assert upgrade in events[issued_at + 1].state.decode("utf-8", "replace")
    assert replay(app).identical


def test_only_a_published_pass_issues_and_the_usual_checks_apply(district):
    client, app, w = district
    failed = published(app, w["li"], passed=False)
    assert from_assessment(client, w["registrar"], failed).json()["code"] == "assessment_not_passed"
    assert from_assessment(client, w["registrar"], uuid.uuid4()).status_code == 404
    first = published(app, w["li"], cert_type="infant_care", level=5)
    bad = from_assessment(client, w["registrar"], first, number="GZ 3101")
    assert bad.status_code == 422 and "number" in bad.text
    early = from_assessment(client, w["registrar"], first, issued_on=(today() - 30 * DAY).isoformat())
    assert early.status_code == 422 and "issued_on" in early.text
    taken = record(app, w["wang"], "infant_care", today() - 5 * DAY, level=5).number  # someone else's number
    clash = from_assessment(client, w["registrar"], first, number=taken)
    assert clash.status_code == 409 and clash.json()["code"] == "duplicate_certificate"
    assert [p["assessment_id"] for p in passes(client, w["registrar"], pending="true")] == [first]  # nothing stored
    assert from_assessment(client, w["registrar"], first, number="YY-0001").status_code == 201


def test_the_list_and_the_action_are_the_registrars_and_the_auditors_reads(district):
    client, app, w = district
    passed = published(app, w["li"], cert_type="infant_care", level=5)
    provider = issue(app, "provider", SOU)
    for key in (w["hr"], provider):
        assert client.get("/v1/assessments/passed", headers=key).status_code == 403
        assert from_assessment(client, key, passed).status_code == 403
    assert from_assessment(client, w["auditor"], passed).status_code == 403
    assert client.get("/v1/assessments/passed", headers=w["auditor"]).status_code == 200
    assert passes(client, w["registrar"], provider_id=str(uuid.uuid4())) == []
