"""A small training world for the scenarios: the Shanghai Open University, its catalogue, some people."""

from __future__ import annotations

import datetime as dt
from uuid import NAMESPACE_URL, UUID, uuid5

from contracts.training import NewCompletion, NewCourse, NewProvider
from services.training.application import TrainingRecords
from shared.idnumber import keyed_hash, make_valid
from tests.conftest import TEST_ID_HASH_KEY

REGISTRAR = {"key_id": "reg", "role": "registrar", "scope": None}
NURSERY = "6f1c0e0a-0000-4000-8000-000000000001"
OTHER_NURSERY = "6f1c0e0a-0000-4000-8000-000000000002"
SKILLS_COURSES = [f"SK{i:02d}" for i in range(1, 10)]  # nine 8-hour courses: exactly 72 hours
ETHICS_COURSES = [f"ET{i:02d}" for i in range(1, 11)]  # ten 4-hour courses: exactly 40 hours
MID_2025 = "2025-06-30T14:00:00+08:00"


def provider_actor(provider_id: UUID | str) -> dict[str, str]:
    return {"key_id": "prov", "role": "provider", "scope": str(provider_id)}


def approve(app: TrainingRecords, code: str = "SOU", name: str = "上海开放大学") -> UUID:
    """Approve a provider with the standard catalogue; return its id."""
    provider_id = UUID(app.catalogue.approve_provider(NewProvider(code=code, name=name), REGISTRAR).provider_id)
    since = dt.date(2024, 1, 1)
    for code_ in SKILLS_COURSES:
        app.catalogue.catalogue_course(provider_id, NewCourse(
            code=code_, title=f"综合技能 {code_}", category="skills", topic="professional_skills",
            class_hours=8, available_from=since), REGISTRAR)
    for code_ in ETHICS_COURSES:
        app.catalogue.catalogue_course(provider_id, NewCourse(
            code=code_, title=f"职业道德 {code_}", category="ethics", topic="professional_ethics",
            class_hours=4, available_from=since), REGISTRAR)
    app.catalogue.catalogue_course(provider_id, NewCourse(
        code="SAFE", title="托育安全", category="skills", topic="safety", class_hours=1.5, available_from=since), REGISTRAR)
    app.catalogue.catalogue_course(provider_id, NewCourse(
        code="MH26", title="心理健康 2026", category="ethics", topic="mental_health", class_hours=2,
        available_from=dt.date(2026, 1, 1)), REGISTRAR)
    return provider_id


def id_number(i: int) -> str:
    return make_valid(f"31011619880512{i:03d}")


def staff_id(i: int) -> str:
    return str(uuid5(NAMESPACE_URL, f"urn:test:staff:{i}"))


def learn_people(app: TrainingRecords, count: int, nursery: str = NURSERY) -> list[str]:
    """Teach the training service ``count`` registered people, as the feed follower will."""
    key = bytes.fromhex(TEST_ID_HASH_KEY)
    for i in range(count):
        app.people.record_person(staff_id=staff_id(i), id_hash=keyed_hash(id_number(i), key), name=f"员工{i}",
                                 nursery_ids=[nursery], learned_at="2025-01-01T00:00:00.000000Z")
    return [staff_id(i) for i in range(count)]


def completion(event_id: str, person: str, course: str = "SK01", at: str = MID_2025, hours: float = 8, **kw) -> NewCompletion:
    return NewCompletion(event_id=event_id, staff_id=person, course_code=course, completed_at=at, class_hours=hours, **kw)
