"""Approved training providers and their course catalogue: kept by the registrar."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from contracts.keys import Role
from contracts.training import COURSE_CODE_PATTERN, CourseView, NewCourse, NewProvider, ProviderView, Withdrawal
from services.training.application.catalogue import Catalogue
from shared.auth.roles import Principal
from shared.http.auth import allow
from shared.http.params import path_text

READERS = (Role.REGISTRAR, Role.HR, Role.PROVIDER, Role.AUDITOR)
CodeInPath = path_text("A course code", max_length=40, pattern=COURSE_CODE_PATTERN)


class ProviderController(Controller):
    """Training providers (培训机构) approved by the district, e.g. the Shanghai Open University."""

    path = "/v1/providers"
    tags = ["providers"]

    @post("/", guards=[allow(Role.REGISTRAR)], sync_to_thread=True)
    def approve(
        self, catalogue: NamedDependency[Catalogue],
        data: JSONBody[NewProvider], request: Request[Principal, Any, Any],
    ) -> ProviderView:
        """Approve a provider (registrar); 409 if its code is already approved."""
        return catalogue.approve_provider(data, request.user.actor())

    @get("/", guards=[allow(*READERS)], sync_to_thread=True)
    def list_providers(
        self, catalogue: NamedDependency[Catalogue],
        request: Request[Principal, Any, Any],
    ) -> list[ProviderView]:
        """Every provider ever approved, withdrawn ones included."""
        return catalogue.providers()

    @get("/{provider_id:uuid}", guards=[allow(*READERS)], sync_to_thread=True)
    def get_provider(
        self, catalogue: NamedDependency[Catalogue],
        provider_id: FromPath[UUID], request: Request[Principal, Any, Any],
    ) -> ProviderView:
        """One provider."""
        return catalogue.provider(provider_id)

    @post("/{provider_id:uuid}/withdrawal", guards=[allow(Role.REGISTRAR)], sync_to_thread=True, status_code=200)
    def withdraw(
        self, catalogue: NamedDependency[Catalogue],
        provider_id: FromPath[UUID], data: JSONBody[Withdrawal], request: Request[Principal, Any, Any],
    ) -> ProviderView:
        """Withdraw a provider: past completions keep counting, new ones are refused."""
        return catalogue.withdraw_provider(provider_id, data.reason, request.user.actor())


class CourseController(Controller):
    """A provider's course catalogue (课程目录): only catalogued courses earn hours."""

    path = "/v1/providers/{provider_id:uuid}/courses"
    tags = ["courses"]

    @post("/", guards=[allow(Role.REGISTRAR)], sync_to_thread=True)
    def catalogue(
        self, catalogue: NamedDependency[Catalogue],
        provider_id: FromPath[UUID], data: JSONBody[NewCourse], request: Request[Principal, Any, Any],
    ) -> CourseView:
        """Add a course to a provider's catalogue (registrar); 409 if the code is taken."""
        return catalogue.catalogue_course(provider_id, data, request.user.actor())

    @get("/", guards=[allow(*READERS)], sync_to_thread=True)
    def list_courses(
        self, catalogue: NamedDependency[Catalogue],
        provider_id: FromPath[UUID], request: Request[Principal, Any, Any],
    ) -> list[CourseView]:
        """The provider's courses, withdrawn ones included."""
        return catalogue.courses(provider_id)

    @get("/{code:str}", guards=[allow(*READERS)], sync_to_thread=True)
    def get_course(
        self, catalogue: NamedDependency[Catalogue],
        provider_id: FromPath[UUID], code: CodeInPath, request: Request[Principal, Any, Any],
    ) -> CourseView:
        """One course."""
        return catalogue.course(provider_id, code)

    @post("/{code:str}/withdrawal", guards=[allow(Role.REGISTRAR)], sync_to_thread=True, status_code=200)
    def withdraw(
        self, catalogue: NamedDependency[Catalogue],
        provider_id: FromPath[UUID], code: CodeInPath, data: JSONBody[Withdrawal],
        request: Request[Principal, Any, Any],
    ) -> CourseView:
        """Withdraw a course: past completions keep counting, new ones are refused."""
        return catalogue.withdraw_course(provider_id, code, data.reason, request.user.actor())
