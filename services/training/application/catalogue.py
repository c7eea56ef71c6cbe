"""The registrar's catalogue commands and everyone's catalogue queries."""

from __future__ import annotations

from typing import Any, Mapping
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from contracts.training import CourseView, NewCourse, NewProvider, ProviderView
from services.training.application.xapi_mapping import course_activity_iri
from services.training.domain.catalogue import Course, Provider, course_id_for
from services.training.domain.hours import InvalidHours, half_hours_of, hours_of
from services.training.read_models.projections import CatalogueProjection
from shared.application import ServiceApplication
from shared.cache import VersionedCache
from shared.errors import Conflict, Invalid, NotFound

_PROVIDER_COLUMNS = "provider_id, code, name, approved_at, withdrawn_at, withdrawn_reason"
_COURSE_COLUMNS = (
    "course_id, provider_id, code, title, category, topic, half_hours, available_from,"
    " catalogued_at, withdrawn_at, withdrawn_reason"
)


def course_view(row: Any, activity_iri: str | None = None) -> CourseView:
    values = dict(row)
    return CourseView(**{k: v for k, v in values.items() if k != "half_hours"}, class_hours=hours_of(values["half_hours"]),
                      activity_iri=activity_iri)


class Catalogue:
    """Providers (培训机构) and their courses: approve, catalogue, withdraw, list."""

    def __init__(self, records: ServiceApplication):
        self.records = records
        self.catalogues: VersionedCache[tuple[dict[str, Any], dict[str, Any]]] = VersionedCache()
        """Providers' catalogues for checking completions, by provider id (see ``catalogue_rows``)."""

    def approve_provider(self, data: NewProvider, actor: dict[str, Any]) -> ProviderView:
        """Approve a provider; 409 if its code is already approved."""
        provider = Provider(code=data.code, name=data.name.strip(), actor=actor)
        try:
            self.records.save_and_project(provider)
        except IntegrityError:
            raise Conflict(
                f"provider {data.code} is already approved", code="provider_exists", provider_id=str(provider.id)
            ) from None
        return self.provider(provider.id)

    def withdraw_provider(self, provider_id: UUID, reason: str, actor: dict[str, Any]) -> ProviderView:
        """Withdraw a provider: its past completions keep counting, new ones are refused."""
        provider: Provider = self._aggregate(provider_id, Provider, "provider")
        provider.withdraw(reason, actor)
        self.records.save_and_project(provider)
        return self.provider(provider_id)

    def provider(self, provider_id: UUID | str) -> ProviderView:
        self.records.projector.catch_up("catalogue")
        row = self.records.store.query_one(f"SELECT {_PROVIDER_COLUMNS} FROM providers WHERE provider_id = ?", (str(provider_id),))
        if row is None:
            raise NotFound(f"no provider with id {provider_id}")
        return ProviderView(**dict(row))

    def providers(self) -> list[ProviderView]:
        self.records.projector.catch_up("catalogue")
        return [ProviderView(**dict(r)) for r in self.records.store.query(f"SELECT {_PROVIDER_COLUMNS} FROM providers ORDER BY code")]

    def catalogue_course(self, provider_id: UUID, data: NewCourse, actor: dict[str, Any]) -> CourseView:
        """Add a course to an approved provider's catalogue; 409 if its code is already there."""
        provider = self.provider(provider_id)
        if provider.withdrawn_at:
            raise Invalid(f"provider {provider.code} is withdrawn", field="provider_id", code="provider_withdrawn")
        try:
            half_hours = half_hours_of(data.class_hours)
        except InvalidHours as exc:
            raise Invalid(f"class_hours {exc}", field="class_hours", code="invalid_class_hours") from None
        course = Course(
            provider_id=str(provider_id), code=data.code, title=data.title.strip(), category=data.category,
            topic=data.topic, half_hours=half_hours, available_from=data.available_from.isoformat(), actor=actor,
        )
        try:
            self.records.save_and_project(course)
        except IntegrityError:
            raise Conflict(
                f"course {data.code} is already in {provider.code}'s catalogue", code="course_exists",
                course_id=str(course.id),
            ) from None
        return self.course(provider_id, data.code)

    def withdraw_course(self, provider_id: UUID, code: str, reason: str, actor: dict[str, Any]) -> CourseView:
        """Withdraw a course: its past completions keep counting, new ones are refused."""
        course: Course = self._aggregate(course_id_for(provider_id, code), Course, f"course {code} of provider")
        course.withdraw(reason, actor)
        self.records.save_and_project(course)
        return self.course(provider_id, code)

    def course(self, provider_id: UUID | str, code: str) -> CourseView:
        self.records.projector.catch_up("catalogue")
        row = self.records.store.query_one(
            f"SELECT {_COURSE_COLUMNS} FROM courses WHERE provider_id = ? AND code = ?", (str(provider_id), code)
        )
        if row is None:
            raise NotFound(f"no course {code} in the catalogue of provider {provider_id}")
        return course_view(row, self.activity_iri(provider_id, code))

    def courses(self, provider_id: UUID) -> list[CourseView]:
        provider = self.provider(provider_id)
        rows = self.records.store.query(
            f"SELECT {_COURSE_COLUMNS} FROM courses WHERE provider_id = ? ORDER BY code", (str(provider_id),)
        )
        home = self.records.settings.district_home_page
        return [course_view(r, course_activity_iri(home, provider.code, r["code"])) for r in rows]

    def activity_iri(self, provider_id: UUID | str, code: str) -> str:
        """The course's xAPI activity IRI: statements about it may become completions (``xapi_mapping.py``)."""
        return course_activity_iri(self.records.settings.district_home_page, self.provider(provider_id).code, code)

    def catalogue_rows(
        self, provider_id: UUID | str, versions: Mapping[str, int] | None = None,
    ) -> tuple[Any, dict[str, Any]]:
        """The provider's row (or None) and its courses by code, for checking completions.

        Caught up with the log; kept in memory while the catalogue's version has not moved, so
        this costs one query, not two (see ``shared/cache.py``), and none when the caller passes
        the ``versions`` its request was authenticated at (``request.auth``).
        """
        name = CatalogueProjection.version_name
        version = versions[name] if versions and name in versions else self.records.projector.versions(name)[name]
        found = self.catalogues.get(str(provider_id), version, lambda: self._load_catalogue(str(provider_id)))
        return found if found is not None else (None, {})

    def _load_catalogue(self, provider_id: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
        provider = self.records.store.query_one(f"SELECT {_PROVIDER_COLUMNS} FROM providers WHERE provider_id = ?", (provider_id,))
        if provider is None:
            return None
        rows = self.records.store.query(f"SELECT {_COURSE_COLUMNS} FROM courses WHERE provider_id = ?", (provider_id,))
        return dict(provider), {r["code"]: dict(r) for r in rows}

    def _aggregate(self, aggregate_id: UUID, kind: type, what: str) -> Any:
        aggregate = self.records.get_or_404(aggregate_id, what)
        if not isinstance(aggregate, kind):
            raise NotFound(f"no {what} with id {aggregate_id}")
        return aggregate

