"""The two services' rules on eventsourcing's in-memory event store (POPO): no database anywhere.

A *desk* is the smallest composition that lets a story run a command and see what was
recorded: the services' own aggregates are saved in an ``eventsourcing`` application whose
persistence is the library's plain-Python recorder (``PERSISTENCE_MODULE=eventsourcing.popo``),
and the facts a rule reads are folded from the stored events by the services' own functions
(``certificate_facts.facts_after``, ``ledger.statuses``/``totals``). Every decision is made by
production code: the aggregates' commands, the event store refusing a second aggregate with the
same derived id, ``compliance.evaluate``, ``checks.content_of``/``check_against_catalogue`` and
``posting.compared``. A desk only fetches and hands on; it decides nothing itself.

What a desk does *not* have is the SQL read models and the HTTP layer: lookups by query,
visibility of a person to an HR key, 404/409/422 answers and the views are the storage tiers'
(see ``tests/fast/README.md``).
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any, Callable, Iterator
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import IntegrityError

from contracts.credentials import Compliance
from contracts.policy import PolicyDocument
from contracts.training import NewCompletion
from services.credential.domain.assignment import Assignment
from services.credential.domain.certificate import Certificate
from services.credential.domain.certificate_facts import facts_after
from services.credential.domain.compliance import CertificateFacts, evaluate
from services.credential.domain.nursery import Nursery
from services.credential.domain.policy import ROLE_POLICY_ID, Policy, RolePolicy, default_document, load_policy
from services.credential.domain.staff import Staff
from services.training.application.checks import PersonRef, check_against_catalogue, content_of
from services.training.domain.catalogue import Course, Provider, course_id_for
from services.training.domain.completion import Completion
from services.training.domain.ledger import Entry, Status, YearTotals, statuses, totals
from services.training.domain.year import training_year
from services.training.application.posting import Outcome, compared
from shared import idnumber
from shared.district import local_date, today
from shared.errors import Invalid

REGISTRAR = {"key_id": None, "role": "registrar", "scope": None}
IN_MEMORY = {"PERSISTENCE_MODULE": "eventsourcing.popo"}


class EventStore(Application[UUID]):
    """An eventsourcing application on the library's in-memory persistence: the events of one desk."""

    def __init__(self) -> None:
        super().__init__(env=IN_MEMORY)

    def stored(self) -> Iterator[Any]:
        """Every stored event, in the order recorded (read back through the mapper, as a service would)."""
        start = 1
        while True:
            page = self.recorder.select_notifications(start=start, limit=1000)
            if not page:
                return
            for notification in page:
                yield self.mapper.to_domain_event(notification)
            start = page[-1].id + 1


class CredentialDesk:
    """Nurseries, people, certificates, the role policy and assignments."""

    def __init__(self) -> None:
        self.events = EventStore()
        self.id_hash_key = secrets.token_bytes(32)
        role_policy = RolePolicy(actor=REGISTRAR)  # the shipped default is adopted first, as the service does
        role_policy.adopt(default_document(), "default policy shipped with carecred", REGISTRAR)
        self.events.save(role_policy)

    def _adoptions(self) -> list[Any]:
        return [e for e in self.events.stored() if isinstance(e, (RolePolicy.Adopted, RolePolicy.AdoptedFrom))]

    @property
    def policy(self) -> Policy:
        """The latest adopted version, loaded from its stored event."""
        latest = self._adoptions()[-1]
        return load_policy(latest.policy_version, latest.content)

    def policy_on(self, day: dt.date) -> Policy:
        """The version in force on ``day``, as ``Policies.policy_on`` answers: an ``AdoptedFrom`` version from its
        ``effective_on``, an ``Adopted`` one from its adoption day (Asia/Shanghai), the first from always."""
        first, *later = self._adoptions()
        in_force = [first] + [e for e in later if (
            e.effective_on if isinstance(e, RolePolicy.AdoptedFrom) else local_date(e.timestamp).isoformat()
        ) <= day.isoformat()]
        latest = max(in_force, key=lambda e: e.policy_version)
        return load_policy(latest.policy_version, latest.content)

    def adopt_policy(self, document: PolicyDocument, note: str, effective_on: dt.date | None = None) -> int:
        role_policy: RolePolicy = self.events.repository.get(ROLE_POLICY_ID)
        role_policy.adopt(document, note, REGISTRAR, effective_on=effective_on, adopted_on=today())
        self.events.save(role_policy)
        return role_policy.policy_version

    def register_nursery(self, name: str, town: str = "朱泾镇", kind: str = "nursery") -> str:
        nursery = Nursery(name=name, town=town, ownership="public", inclusive=True, kind=kind, actor=REGISTRAR)
        self.events.save(nursery)
        return str(nursery.id)

    def register_staff(self, name: str, id_number: str, registered_by: str | None = None) -> str:
        """Raises ``idnumber.InvalidIdNumber`` for a bad number, ``IntegrityError`` for a known person."""
        number = idnumber.normalise(id_number)
        staff = Staff(name=name, id_hash=idnumber.keyed_hash(number, self.id_hash_key),
                      id_masked=idnumber.mask(number), registered_by=registered_by, actor=REGISTRAR)
        self.events.save(staff)
        return str(staff.id)

    def person(self, staff_id: str) -> Staff:
        return self.events.repository.get(UUID(staff_id))

    def issue(self, holder: str, cert_type: str, number: str, issued_on: dt.date, expires_on: dt.date) -> str:
        """Raises ``IntegrityError`` when this number of this type is already recorded."""
        certificate = Certificate.issue(
            cert_type=cert_type, number=number, issuing_body="上海市金山区教育局", issued_on=issued_on,
            expires_on=expires_on, holder_id=holder, note="", actor=REGISTRAR,
        )
        self.events.save(certificate)
        return str(certificate.id)

    def certificate(self, certificate_id: str) -> Certificate:
        return self.events.repository.get(UUID(certificate_id))

    def change(self, certificate_id: str, command: Callable[[Certificate], None]) -> None:
        """Load a certificate, run one of its commands, save what it recorded (nothing when it refuses)."""
        certificate = self.certificate(certificate_id)
        command(certificate)
        self.events.save(certificate)

    def facts_of(self, holder: str) -> list[CertificateFacts]:
        """The holder's certificate facts, folded from every stored certificate event."""
        facts: dict[UUID, CertificateFacts] = {}
        for e in self.events.stored():
            if isinstance(e, Certificate.Event):
                facts[e.originator_id] = facts_after(facts.get(e.originator_id), e)
        return [f for f in facts.values() if f.holder_id == holder]

    def compliance(self, staff_id: str, role: str, on: dt.date) -> Compliance:
        policy = self.policy_on(on)
        spec = policy.role(role)
        assert spec is not None, role
        return evaluate(policy, spec, self.facts_of(staff_id), on)

    def assign(self, staff_id: str, nursery_id: str, role: str, start_on: dt.date) -> Compliance:
        """Record the assignment only if the person is compliant on the start date; the decision either way.

        Raises ``IntegrityError`` when the same assignment (person, nursery, role, start) is recorded.
        """
        decision = self.compliance(staff_id, role, start_on)
        if decision.compliant:
            self.events.save(Assignment(staff_id=staff_id, nursery_id=nursery_id, role=role,
                                        start_on=start_on.isoformat(), policy_version=decision.policy_version,
                                        actor=REGISTRAR))
        return decision

    def assignments_of(self, staff_id: str) -> list[Assignment.Made]:
        return [e for e in self.events.stored() if isinstance(e, Assignment.Made) and e.staff_id == staff_id]


class TrainingDesk:
    """Providers, their catalogue and the completions ledger; people are told to it (the feed's part)."""

    def __init__(self) -> None:
        self.events = EventStore()
        self.known_people: set[str] = set()

    def learn_person(self, staff_id: str) -> None:
        """What the registry follower does for each person registered in the credential service."""
        self.known_people.add(staff_id)

    def approve_provider(self, code: str, name: str) -> str:
        provider = Provider(code=code, name=name, actor=REGISTRAR)
        self.events.save(provider)
        return str(provider.id)

    def catalogue(self, provider_id: str, code: str, category: str, class_hours: float,
                  available_from: dt.date = dt.date(2020, 1, 1)) -> str:
        course = Course(provider_id=provider_id, code=code, title=code, category=category,
                        topic="professional_skills" if category == "skills" else "professional_ethics",
                        half_hours=int(class_hours * 2), available_from=available_from.isoformat(), actor=REGISTRAR)
        self.events.save(course)
        return str(course.id)

    def withdraw_course(self, provider_id: str, code: str) -> None:
        course = self._course(provider_id, code)
        course.withdraw("no longer offered", REGISTRAR)
        self.events.save(course)

    def post(self, provider_id: str, *, event_id: str, staff_id: str, course_code: str, completed_at: str,
             class_hours: float, now: dt.datetime | None = None) -> Outcome:
        """A provider posts one completion: created, duplicate (a retry), conflict (id reused) or rejected."""
        item = NewCompletion(event_id=event_id, staff_id=staff_id, course_code=course_code,
                             completed_at=completed_at, class_hours=class_hours)
        try:
            content = content_of(item, PersonRef(staff_id=staff_id), self.known_people, {})
            provider, courses = self._catalogue_rows(provider_id)
            course = check_against_catalogue(content, provider, courses, now or dt.datetime.now(dt.UTC))
        except Invalid as exc:  # the checks name the field
            return Outcome(0, event_id, "rejected", error=exc)
        completion = Completion(
            provider_id=provider_id, event_id=event_id, staff_id=content.staff_id, course_id=course["course_id"],
            course_code=course["code"], category=course["category"], half_hours=content.half_hours,
            completed_at=content.completed_at.isoformat(), year=training_year(content.completed_at),
            replaces=None, actor=REGISTRAR,
        )
        try:
            self.events.save(completion)
        except IntegrityError:  # the same provider event id: a retry, or the id reused
            recorded: Completion = self.events.repository.get(completion.id)
            return compared(0, event_id, str(completion.id), recorded.content, completion.content)
        return Outcome(0, event_id, "created", str(completion.id))

    def reverse(self, completion_id: str, reason: str) -> None:
        completion: Completion = self.events.repository.get(UUID(completion_id))
        completion.reverse(reason, REGISTRAR)
        self.events.save(completion)

    def year(self, staff_id: str, year: int) -> tuple[list[tuple[Entry, Status]], YearTotals]:
        """The person's ledger for one year, in recorded order, and the totals against 72/40."""
        reversed_ids = {e.originator_id for e in self.events.stored() if isinstance(e, Completion.Reversed)}
        entries = [
            Entry(completion_id=str(e.originator_id), course_id=e.course_id, course_code=e.course_code,
                  category=e.category, half_hours=e.half_hours, year=e.year, reversed=e.originator_id in reversed_ids)
            for e in self.events.stored()
            if isinstance(e, Completion.Recorded) and e.staff_id == staff_id and e.year == year
        ]
        entry_statuses = statuses(entries)
        return list(zip(entries, entry_statuses, strict=True)), totals(entries, entry_statuses)

    def _course(self, provider_id: str, code: str) -> Course:
        return self.events.repository.get(course_id_for(provider_id, code))

    def _catalogue_rows(self, provider_id: str) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        """The provider and its courses as the catalogue read model's rows hold them."""
        provider: Provider = self.events.repository.get(UUID(provider_id))
        courses = {}
        for e in self.events.stored():
            if isinstance(e, Course.Catalogued) and e.provider_id == provider_id:
                course: Course = self.events.repository.get(e.originator_id)
                courses[course.code] = {
                    "course_id": str(course.id), "code": course.code, "category": course.category,
                    "half_hours": course.half_hours, "available_from": course.available_from,
                    "withdrawn_at": course.modified_on.isoformat() if course.withdrawn else None,
                }
        row = {"code": provider.code, "withdrawn_at": provider.modified_on.isoformat() if provider.withdrawn else None}
        return row, courses
