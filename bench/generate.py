"""Realistic districts, made quickly: events saved many per transaction through the applications' own save.

Nothing here goes through HTTP: a district of 10,000 staff is ~40,000 events, saved 1,000 at a
time with ``app.save(*aggregates)``, then projected once. The shapes follow the seed: the
policy's roles and certificates, a health certificate renewed yearly, role certificates valid
for years (some expired, some about to), completions of a provider's catalogue across years.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator
from uuid import NAMESPACE_URL, UUID, uuid5

from contracts.events.training import CompletionRecorded, YearTotals
from contracts.training import NewCourse, NewProvider
from services.credential.read_models import training_status
from services.credential.application import Credentials
from services.credential.domain.assignment import Assignment
from services.credential.domain.certificate import Certificate
from services.credential.domain.inspection import Inspector
from services.credential.domain.inspection_finding import FINDING_KINDS, Finding
from services.credential.domain.inspection_visit import Visit
from services.credential.domain.nursery import JINSHAN_AREAS, Nursery
from services.credential.domain.staff import Staff
from services.training.application import TrainingRecords
from services.training.domain.completion import Completion
from services.training.domain import requirement
from services.training.domain.year import training_year
from shared import idnumber
from shared.district import today as district_today

REGISTRAR = {"key_id": "bench", "role": "registrar", "scope": None}
BATCH = 1000
TODAY = district_today()

ROLE_CERTIFICATE = {
    "infant_caregiver": "infant_care", "nursery_worker": "nursery_worker", "health_worker": "health_worker",
    "institution_head": "institution_head", "finance_staff": "finance", "security_guard": "security_guard",
    "teacher": "teacher",
}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玲"


def saved_in_batches(app: Any, aggregates: Iterable[Any], batch: int = BATCH) -> int:
    """Save aggregates ``batch`` per transaction (the batch path); return how many events were written."""
    written, pending = 0, []
    for aggregate in aggregates:
        pending.append(aggregate)
        if len(pending) == batch:
            written += len(app.save(*pending))
            pending = []
    if pending:
        written += len(app.save(*pending))
    return written


def id_number(i: int) -> str:
    """A valid Jinshan (310116) ID number, unique per i (birth date and sequence from i)."""
    born = dt.date(1960, 1, 1) + dt.timedelta(days=i % 15000)
    return idnumber.make_valid(f"310116{born:%Y%m%d}{i // 15000 % 1000:03d}")


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


# Credential district ------------------------------------------------------------------------------

@dataclass
class District:
    """What was generated: ids to query, and how many events it took."""

    nursery_ids: list[str] = field(default_factory=list)
    staff_ids: list[str] = field(default_factory=list)
    events: int = 0


def roles_of(kind: str, staff: int) -> list[str]:
    """The roles at one nursery: one head, health worker, finance and guard, the rest caring or teaching."""
    roles = ["institution_head", "health_worker", "finance_staff", "security_guard"]
    carers = ("teacher", "nursery_worker") if kind == "kindergarten" else ("infant_caregiver", "nursery_worker")
    roles += [carers[i % 3 == 2] for i in range(max(0, staff - len(roles)))]
    return roles[:staff]


def certificate_dates(rng: random.Random, years: int) -> tuple[dt.date, dt.date]:
    """Issued some time ago; ~6% already expired, ~10% expiring within 90 days, the rest later."""
    draw = rng.random()
    if draw < 0.06:
        expires = TODAY - dt.timedelta(days=rng.randint(1, 400))
    elif draw < 0.16:
        expires = TODAY + dt.timedelta(days=rng.randint(0, 90))
    else:
        expires = TODAY + dt.timedelta(days=rng.randint(91, 365 * years))
    return expires - dt.timedelta(days=365 * years), expires


def credential_district(app: Credentials, *, nurseries: int = 500, staff: int = 10_000, seed: int = 8) -> District:
    """Nurseries, registered staff with their certificates, and their assignments; projected once at the end."""
    rng = random.Random(seed)
    district = District()
    version = app.policies.current_policy().version
    kinds = [Nursery(name=f"{rng.choice(JINSHAN_AREAS)}第{i + 1}托育园", town=JINSHAN_AREAS[i % len(JINSHAN_AREAS)],
                     ownership="public" if i % 3 else "private", inclusive=i % 7 == 0,
                     kind="kindergarten" if i % 2 else "nursery", actor=REGISTRAR) for i in range(nurseries)]
    district.events += saved_in_batches(app, kinds)
    district.nursery_ids = [str(n.id) for n in kinds]
    per_nursery = max(1, staff // nurseries)

    def people() -> Iterator[Any]:
        index = 0
        for nursery in kinds:
            for role in roles_of(nursery.kind, per_nursery):
                number = id_number(index)
                index += 1
                person = Staff(name=person_name(rng), id_hash=idnumber.keyed_hash(number, app.id_hash_key),
                               id_masked=idnumber.mask(number), registered_by=str(nursery.id), actor=REGISTRAR)
                district.staff_ids.append(str(person.id))
                yield person
                for cert_type, years in ((ROLE_CERTIFICATE[role], 5), ("health", 1)):
                    if rng.random() < 0.03:
                        continue  # a few never recorded: non-compliant
                    issued, expires = certificate_dates(rng, years)
                    yield Certificate.issue(
                        cert_type=cert_type, number=f"{cert_type[:2].upper()}-{index:07d}", issuing_body="金山区人社局",
                        issued_on=issued, expires_on=expires, holder_id=str(person.id), note="", actor=REGISTRAR)
                start = TODAY - dt.timedelta(days=rng.randint(30, 2000))
                yield Assignment(staff_id=str(person.id), nursery_id=str(nursery.id), role=role,
                                 start_on=start.isoformat(), policy_version=version, actor=REGISTRAR)

    district.events += saved_in_batches(app, people())
    app.projector.catch_up()
    return district


def training_as_learned(app: Credentials, staff_ids: list[str], completions: int, *, seed: int = 5) -> int:
    """Completions as the credential service learns them from the training feed, across 2023-2026.

    Each is a ``CompletionRecorded`` contract event with the person's running totals, applied by the
    service's own follower code (``training_status.apply``) many per transaction, as the follower
    would apply a page. The training service and HTTP are not involved. Returns the events applied.
    """
    rng = random.Random(seed)
    totals: dict[tuple[str, int], list[float]] = {}
    applied = 0
    while applied < completions:
        with app.store.transaction(commit=True) as cur:
            for _ in range(min(5_000, completions - applied)):
                applied += 1
                staff_id = staff_ids[applied % len(staff_ids)]
                year = 2023 + rng.randrange(4)
                category, hours = ("skills", 8.0) if rng.random() < 0.6 else ("ethics", 4.0)
                running = totals.setdefault((staff_id, year), [0.0, 0.0])
                running[category == "ethics"] += hours
                last_month = 12 if year < TODAY.year else max(1, TODAY.month - 1)
                event = CompletionRecorded(
                    completion_id=str(uuid5(NAMESPACE_URL, f"urn:bench:completion:{seed}:{applied}")), staff_id=staff_id,
                    provider_id="00000000-0000-4000-8000-000000000001", course_code=f"{category[:2].upper()}01",
                    category=category, hours=hours, completed_on=dt.date(year, rng.randint(1, last_month), rng.randint(1, 28)),
                    counted=True, totals=YearTotals(year=year, skills_hours=running[0], ethics_hours=running[1],
                                                    skills_required=requirement.REQUIRED_HOURS[requirement.SKILLS],
                                                    ethics_required=requirement.REQUIRED_HOURS[requirement.ETHICS]),
                )
                training_status.apply(cur, event, applied)
    return applied


def inspections(app: Credentials, district: District, *, inspectors: int = 50, visits_per_nursery: int = 2,
                scans_per_visit: int = 5, seed: int = 9) -> int:
    """Inspectors, visits to every nursery (opened today, some random draws), scans and findings; batch-saved, projected.

    Each visit scans ``scans_per_visit`` people and is closed; one visit in five confirms a finding (due in 30
    days, some already past). Returns the events written.
    """
    rng = random.Random(seed)
    staff_per_nursery = max(1, len(district.staff_ids) // max(1, len(district.nursery_ids)))
    corps = [Inspector(name=person_name(rng), unit="金山区卫健委", actor=REGISTRAR) for _ in range(inspectors)]
    written = saved_in_batches(app, corps)

    def work() -> Iterator[Any]:
        n = 0
        for index, nursery_id in enumerate(district.nursery_ids):
            people = district.staff_ids[index * staff_per_nursery:(index + 1) * staff_per_nursery]
            for _ in range(visits_per_nursery):
                n += 1
                inspector = corps[n % len(corps)]
                actor = {"key_id": "bench-inspector", "role": "inspector", "scope": str(inspector.id)}
                visit = Visit(inspector_id=str(inspector.id), nursery_id=nursery_id,
                              kind="random" if n % 2 else "routine", draw_month=None, finding_ids=[], actor=actor)
                for s, staff_id in enumerate(rng.sample(people, min(scans_per_visit, len(people)))):
                    visit.scan(client_scan_id=f"scan-{n}-{s}", scanned_at=f"{TODAY.isoformat()}T09:{s:02d}:00+08:00",
                               badge_id=None, staff_id=staff_id, verdict="valid", holder_check="confirmed",
                               status_stale=False, device_verdict="valid", actor=actor)
                visit.close(note="", actor=actor)
                yield visit
                if n % 5 == 0 and people:
                    due = TODAY + dt.timedelta(days=rng.choice((-10, 30)))
                    yield Finding(visit_id=str(visit.id), nursery_id=nursery_id, inspector_id=str(inspector.id),
                                  kind=FINDING_KINDS[n % 2 * 3], staff_id=rng.choice(people), person_name=None,
                                  detail="bench finding", due_on=due.isoformat(), actor=actor)

    written += saved_in_batches(app, work())
    app.projector.catch_up()
    return written


# Training ledger ----------------------------------------------------------------------------------

@dataclass
class TrainingWorld:
    """A provider with its catalogue and the people it may post for."""

    provider_id: UUID
    courses: dict[str, dict[str, Any]]
    people: list[str]


SKILLS = [f"SK{i:02d}" for i in range(1, 10)]
ETHICS = [f"ET{i:02d}" for i in range(1, 11)]


def training_world(app: TrainingRecords, *, people: int = 2_000, code: str = "SOU") -> TrainingWorld:
    """The Shanghai Open University with nine skills and ten ethics courses, and ``people`` registered staff."""
    provider_id = UUID(app.catalogue.approve_provider(NewProvider(code=code, name="上海开放大学"), REGISTRAR).provider_id)
    since = dt.date(2023, 1, 1)
    for course in SKILLS:
        app.catalogue.catalogue_course(provider_id, NewCourse(code=course, title=f"综合技能 {course}", category="skills",
                                                              topic="professional_skills", class_hours=8, available_from=since), REGISTRAR)
    for course in ETHICS:
        app.catalogue.catalogue_course(provider_id, NewCourse(code=course, title=f"职业道德 {course}", category="ethics",
                                                              topic="professional_ethics", class_hours=4, available_from=since), REGISTRAR)
    ids = [str(uuid5(NAMESPACE_URL, f"urn:bench:staff:{i}")) for i in range(people)]
    with app.store.transaction(commit=True) as cur:
        for i, sid in enumerate(ids):
            app.people.record_person(staff_id=sid, id_hash=idnumber.keyed_hash(id_number(i), app.id_hash_key),
                                     name=f"员工{i}", nursery_ids=[str(uuid5(NAMESPACE_URL, f"urn:bench:nursery:{i % 500}"))],
                                     learned_at="2025-01-01T00:00:00.000000Z", cur=cur)
    _, courses = app.catalogue.catalogue_rows(provider_id)
    return TrainingWorld(provider_id=provider_id, courses=courses, people=ids)


def completion_items(world: TrainingWorld, count: int, *, prefix: str = "G", seed: int = 4) -> Iterator[dict[str, Any]]:
    """Completions as the provider would post them (request JSON), spread over 2023-2026."""
    rng = random.Random(seed)
    codes = SKILLS + ETHICS
    for n in range(count):
        code = codes[n % len(codes)]
        year = 2023 + (n // len(codes)) % 4
        last_month = 12 if year < TODAY.year else max(1, TODAY.month - 1)
        at = dt.datetime(year, rng.randint(1, last_month), rng.randint(1, 28), rng.randint(8, 18), 0,
                         tzinfo=dt.timezone(dt.timedelta(hours=8)))
        yield {"event_id": f"{prefix}-{n:08d}", "staff_id": world.people[(n // len(codes) // 4) % len(world.people)],
               "course_code": code, "completed_at": at.isoformat(),
               "class_hours": world.courses[code]["half_hours"] / 2}


def completions(app: TrainingRecords, world: TrainingWorld, count: int, *, prefix: str = "G") -> int:
    """Record ``count`` completions straight through ``save(*many)`` (no checks, no HTTP), then project."""
    def aggregates() -> Iterator[Completion]:
        for item in completion_items(world, count, prefix=prefix):
            course = world.courses[item["course_code"]]
            at = dt.datetime.fromisoformat(item["completed_at"])
            yield Completion(
                provider_id=str(world.provider_id), event_id=item["event_id"], staff_id=item["staff_id"],
                course_id=course["course_id"], course_code=course["code"], category=course["category"],
                half_hours=course["half_hours"], completed_at=item["completed_at"], year=training_year(at),
                replaces=None, actor={"key_id": "bench", "role": "provider", "scope": str(world.provider_id)},
            )
    written = saved_in_batches(app, aggregates())
    app.projector.catch_up()
    return written

