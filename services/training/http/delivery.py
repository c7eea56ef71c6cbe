"""A provider's trainers (and their own yearly training), sessions, and attendance by badge scan."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from contracts.keys import Role
from contracts.training import (
    LOCAL_CODE_PATTERN, AttendanceView, BadgeScan, NewSession, NewTrainer, SessionView, TrainerTraining, TrainerView,
)
from services.training.application.delivery import Sessions, Trainers
from services.training.http.scope import require_own_provider
from shared.auth.roles import Principal
from shared.http.auth import allow
from shared.http.params import path_text

READERS = (Role.PROVIDER, Role.REGISTRAR, Role.AUDITOR)
CodeInPath = path_text("A trainer's or session's code", max_length=40, pattern=LOCAL_CODE_PATTERN)


class TrainerController(Controller):
    """Trainers (培训师资) a provider registers; each should get at least one professional training a year."""

    path = "/v1/providers/{provider_id:uuid}/trainers"
    tags = ["trainers"]

    @post("/", guards=[allow(Role.PROVIDER)], sync_to_thread=True)
    def register(
        self, trainers: NamedDependency[Trainers],
        provider_id: FromPath[UUID], data: JSONBody[NewTrainer], request: Request[Principal, Any, Any],
    ) -> TrainerView:
        """Register a trainer (the provider itself); 409 if the code is taken."""
        require_own_provider(request.user, provider_id)
        return trainers.register(provider_id, data, request.user.actor())

    @get("/", guards=[allow(*READERS)], sync_to_thread=True)
    def list_trainers(
        self, trainers: NamedDependency[Trainers],
        provider_id: FromPath[UUID], request: Request[Principal, Any, Any],
    ) -> list[TrainerView]:
        """The provider's trainers, each with their own training year by year (a provider sees only its own)."""
        require_own_provider(request.user, provider_id)
        return trainers.trainers(provider_id)

    @get("/{code:str}", guards=[allow(*READERS)], sync_to_thread=True)
    def get_trainer(
        self, trainers: NamedDependency[Trainers],
        provider_id: FromPath[UUID], code: CodeInPath, request: Request[Principal, Any, Any],
    ) -> TrainerView:
        """One trainer and their own training."""
        require_own_provider(request.user, provider_id)
        return trainers.trainer(provider_id, code)

    @post("/{code:str}/trainings", guards=[allow(Role.PROVIDER)], sync_to_thread=True)
    def record_training(
        self, trainers: NamedDependency[Trainers],
        provider_id: FromPath[UUID], code: CodeInPath, data: JSONBody[TrainerTraining],
        request: Request[Principal, Any, Any],
    ) -> TrainerView:
        """Record a professional training the trainer received; 409 for the same title on the same day."""
        require_own_provider(request.user, provider_id)
        return trainers.record_training(provider_id, code, data, request.user.actor())


class SessionController(Controller):
    """Sessions (培训班次) of a provider's courses: online or offline, by one of its trainers."""

    path = "/v1/providers/{provider_id:uuid}/sessions"
    tags = ["sessions"]

    @post("/", guards=[allow(Role.PROVIDER)], sync_to_thread=True)
    def schedule(
        self, sessions: NamedDependency[Sessions],
        provider_id: FromPath[UUID], data: JSONBody[NewSession], request: Request[Principal, Any, Any],
    ) -> SessionView:
        """Schedule a session (the provider itself); 409 if the code is taken."""
        require_own_provider(request.user, provider_id)
        return sessions.schedule(provider_id, data, request.user.actor())

    @get("/", guards=[allow(*READERS)], sync_to_thread=True)
    def list_sessions(
        self, sessions: NamedDependency[Sessions],
        provider_id: FromPath[UUID], request: Request[Principal, Any, Any],
    ) -> list[SessionView]:
        """The provider's sessions (a provider sees only its own)."""
        require_own_provider(request.user, provider_id)
        return sessions.sessions(provider_id)

    @get("/{code:str}", guards=[allow(*READERS)], sync_to_thread=True)
    def get_session(
        self, sessions: NamedDependency[Sessions],
        provider_id: FromPath[UUID], code: CodeInPath, request: Request[Principal, Any, Any],
    ) -> SessionView:
        """One session."""
        require_own_provider(request.user, provider_id)
        return sessions.session(provider_id, code)

    @post("/{code:str}/attendance", guards=[allow(Role.PROVIDER)], sync_to_thread=True)
    def scan(
        self, sessions: NamedDependency[Sessions],
        provider_id: FromPath[UUID], code: CodeInPath, data: JSONBody[BadgeScan],
        request: Request[Principal, Any, Any],
    ) -> Response[AttendanceView]:
        """The trainer's badge scan at sign-in or sign-out of an offline session (201); the same scan again is 200."""
        require_own_provider(request.user, provider_id)
        view, new = sessions.scan(provider_id, code, data, request.user.actor())
        return Response(view, status_code=201 if new else 200)

    @get("/{code:str}/attendance", guards=[allow(*READERS)], sync_to_thread=True)
    def attendance(
        self, sessions: NamedDependency[Sessions],
        provider_id: FromPath[UUID], code: CodeInPath, request: Request[Principal, Any, Any],
    ) -> list[AttendanceView]:
        """Who signed in and out of an offline session."""
        require_own_provider(request.user, provider_id)
        return sessions.attendance_list(provider_id, code)
