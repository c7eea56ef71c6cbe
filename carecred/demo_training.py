"""The demo district's training under policy v2 (docs/training-delivery.md, docs/policy-v2.md).

Seeded in one process with both services' applications: each follows the other's feed through
``relay`` (the page the running service would fetch over HTTP). The Open University (SOU) has two
trainers with their own yearly training; an online and an offline session, the offline one with
attendance taken by the trainer scanning the attendees' real badges; completions naming session,
mode and trainer; assessment passes, one issuing a certificate upgrade through the registrar's
path and one still pending; the subsidy list with one claim paid.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

import msgspec

from contracts.assessment_certificates import CertificateFromAssessment
from contracts.training import (
    BadgeScan, NewAssessment, NewCompletion, NewSession, NewTrainer, SubsidyPaid, TrainerTraining,
)
from shared.follower import Follower
from shared.district import today as district_today

TRAINERS = [NewTrainer(code="SOU-T01", name="张慧"), NewTrainer(code="SOU-T02", name="陆敏")]
ONLINE, OFFLINE = "SOU-ON-01", "SOU-OFF-01"
ONLINE_COURSE, OFFLINE_COURSE = "SK-01", "SK-02"


def relay(source: Any, follower: Follower) -> int:
    """Bring ``follower`` up to date with ``source``'s feed, in this process."""
    return follower.poll_once(fetch=lambda after: follower.decoder.decode(
        msgspec.json.encode(source.publisher.page(after, 500))))


def seed_training(credential: Any, training: Any, provider_id: str, hr_nursery: str, actor: dict[str, Any]) -> None:
    """Trainers, sessions, attendance, completions, assessments and subsidies; the upgrade issued from one pass."""
    today = district_today()
    relay(credential, training.followers[0])  # the training service learns the district's people
    provider = UUID(provider_id)
    for trainer, days_ago in zip(TRAINERS, (45, 120), strict=True):  # 每年至少1次专业培训
        training.trainers.register(provider, trainer, actor)
        training.trainers.record_training(provider, trainer.code, TrainerTraining(
            title="托育服务培训师资年度专业培训", organiser="上海市托育服务指导中心",
            completed_on=today - dt.timedelta(days=days_ago), class_hours=16), actor)
    online_day, offline_day = today - dt.timedelta(days=20), today - dt.timedelta(days=6)
    training.sessions.schedule(provider, NewSession(
        code=ONLINE, course_code=ONLINE_COURSE, mode="online", trainer_code=TRAINERS[0].code,
        starts_on=online_day - dt.timedelta(days=9), ends_on=online_day), actor)
    training.sessions.schedule(provider, NewSession(
        code=OFFLINE, course_code=OFFLINE_COURSE, mode="offline", trainer_code=TRAINERS[1].code,
        starts_on=offline_day, ends_on=offline_day), actor)

    compliant = [e.staff_id for e in credential.reports.roster(hr_nursery, on=today).entries if e.compliant]
    attendees, online = compliant[:3], compliant[3:5]
    stamp = f"{offline_day.isoformat()}T{{}}:00+08:00"
    for staff_id in attendees:  # the trainer scans each attendee's badge at sign-in and sign-out
        badge = credential.badge_issuance.issue_badge(UUID(staff_id), nursery_id=None, id_number=None, actor=actor)
        for direction, at in (("in", "09:00"), ("out", "16:30")):
            training.sessions.scan(provider, OFFLINE, BadgeScan(
                direction=direction, staff_id=staff_id, trainer_code=TRAINERS[1].code, scanned_at=stamp.format(at),
                badge=badge.qr_text, verdict="valid"), actor)
    items = [NewCompletion(event_id=f"SOU-OFF-01-{n}", staff_id=staff_id, course_code=OFFLINE_COURSE,
                           completed_at=stamp.format("16:30"), class_hours=8, session_code=OFFLINE, mode="offline",
                           trainer_code=TRAINERS[1].code) for n, staff_id in enumerate(attendees)]
    items += [NewCompletion(event_id=f"SOU-ON-01-{n}", staff_id=staff_id, course_code=ONLINE_COURSE,
                            completed_at=f"{online_day.isoformat()}T20:00:00+08:00", class_hours=8,
                            session_code=ONLINE, mode="online", trainer_code=TRAINERS[0].code)
              for n, staff_id in enumerate(online)]
    training.posting.post_completions(provider, items, actor)
    seed_assessments(credential, training, provider, actor)


def seed_assessments(credential: Any, training: Any, provider: UUID, actor: dict[str, Any]) -> None:
    """保育员 passes: one upgrade issued through the registrar's path and paid, one still pending; a fail."""
    today = district_today()
    fives = sorted({c.holder_id for c in _certificates(credential) if c.cert_type == "nursery_worker" and c.level == 5})
    upgrade, pending, failed = fives[0], fives[1], fives[2]
    assessed_on = today - dt.timedelta(days=14)
    posted = {}
    for event_id, staff_id, passed in (("JD-001", upgrade, True), ("JD-002", pending, True), ("JD-003", failed, False)):
        posted[event_id], _ = training.assessments.post(provider, NewAssessment(
            event_id=event_id, staff_id=staff_id, certificate_type="nursery_worker", level=4, passed=passed,
            assessed_on=assessed_on), actor)
    claim = posted["JD-001"].claim_id
    training.assessments.pay(UUID(claim), SubsidyPaid(amount_fen=80_000, reference="JSCZ-2026-0001",
                                                      paid_on=today - dt.timedelta(days=3)), actor)
    relay(training, credential.followers[0])  # the credential service learns the results (and the totals)
    credential.assessment_certificates.issue(UUID(posted["JD-001"].assessment_id), CertificateFromAssessment(
        number="JS-JD-0001-NW4", issuing_body="上海市职业技能鉴定中心"), actor)


def _certificates(credential: Any) -> list[Any]:
    rows = credential.store.query("SELECT certificate_id FROM certificates ORDER BY certificate_id")
    return [credential.certificates.certificate(UUID(r["certificate_id"])) for r in rows]
