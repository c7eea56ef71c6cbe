"""Which application and app factory belong to which service name (the composition root)."""

from __future__ import annotations

from importlib import import_module
from typing import Any

from shared.application import ServiceApplication
from shared.settings import Settings

SERVICES = ("credential", "training")

_APPLICATIONS = {
    "credential": "services.credential.application:Credentials",
    "training": "services.training.application:TrainingRecords",
}
FACTORIES = {
    "credential": "services.credential.app:create_app",
    "training": "services.training.app:create_app",
}


def _load(path: str) -> Any:
    module, _, name = path.partition(":")
    return getattr(import_module(module), name)


def open_application(service: str, settings: Settings) -> ServiceApplication:
    """The event-sourced application of a service, on the configured storage."""
    return _load(_APPLICATIONS[service])(settings)
