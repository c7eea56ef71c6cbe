"""Approved training providers (培训机构) and their course catalogue (课程目录).

Only an approved provider's catalogued courses earn hours. Ids derive from natural keys — a
provider from its code, a course from its provider and code — so approving the same thing
twice collides in the event store. Withdrawal is an event; what was completed before stays.
"""

from __future__ import annotations

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from shared.errors import Conflict

PROVIDER_NAMESPACE = uuid5(NAMESPACE_URL, "urn:carecred:training-provider")
COURSE_NAMESPACE = uuid5(NAMESPACE_URL, "urn:carecred:training-course")


def provider_id_for(code: str) -> UUID:
    """The provider id of a provider code (e.g. ``SOU``, 上海开放大学)."""
    return uuid5(PROVIDER_NAMESPACE, code)


def course_id_for(provider_id: UUID | str, code: str) -> UUID:
    """The course id of a provider's course code."""
    return uuid5(COURSE_NAMESPACE, f"{provider_id}/{code}")


class Provider(Aggregate):
    """A training provider the registrar approved, e.g. the Shanghai Open University (上海开放大学)."""

    TOPIC = "carecred.training:Provider"

    class Event(Aggregate.Event):
        TOPIC = "carecred.training:Provider.Event"
        actor: dict[str, Any]

    class Approved(Event, Aggregate.Created):
        TOPIC = "carecred.training:Provider.Approved.v1"
        code: str
        name: str

    class Withdrawn(Event):
        TOPIC = "carecred.training:Provider.Withdrawn.v1"
        reason: str

    @staticmethod
    def create_id(code: str) -> UUID:
        return provider_id_for(code)

    @event(Approved)
    def __init__(self, code: str, name: str, actor: dict[str, Any]):
        self.code = code
        self.name = name
        self.withdrawn = False

    def withdraw(self, reason: str, actor: dict[str, Any]) -> None:
        if self.withdrawn:
            raise Conflict(f"provider {self.code} is already withdrawn", code="already_withdrawn")
        self._withdrawn(reason=reason, actor=actor)

    @event(Withdrawn)
    def _withdrawn(self, reason: str, actor: dict[str, Any]) -> None:
        self.withdrawn = True


class Course(Aggregate):
    """A catalogued course: category (skills/ethics), topic, class hours (in half-hours), from when."""

    TOPIC = "carecred.training:Course"

    class Event(Aggregate.Event):
        TOPIC = "carecred.training:Course.Event"
        actor: dict[str, Any]

    class Catalogued(Event, Aggregate.Created):
        TOPIC = "carecred.training:Course.Catalogued.v1"
        provider_id: str
        code: str
        title: str
        category: str
        topic: str
        half_hours: int
        available_from: str

    class Withdrawn(Event):
        TOPIC = "carecred.training:Course.Withdrawn.v1"
        reason: str

    @staticmethod
    def create_id(provider_id: str, code: str) -> UUID:
        return course_id_for(provider_id, code)

    @event(Catalogued)
    def __init__(
        self, provider_id: str, code: str, title: str, category: str, topic: str,
        half_hours: int, available_from: str, actor: dict[str, Any],
    ):
        self.provider_id = provider_id
        self.code = code
        self.title = title
        self.category = category
        self.topic = topic
        self.half_hours = half_hours
        self.available_from = available_from
        self.withdrawn = False

    def withdraw(self, reason: str, actor: dict[str, Any]) -> None:
        if self.withdrawn:
            raise Conflict(f"course {self.code} is already withdrawn", code="already_withdrawn")
        self._withdrawn(reason=reason, actor=actor)

    @event(Withdrawn)
    def _withdrawn(self, reason: str, actor: dict[str, Any]) -> None:
        self.withdrawn = True
