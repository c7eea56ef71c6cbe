"""App factory of the training service (``uvicorn --factory services.training.app:create_app``)."""

from __future__ import annotations

from litestar import Litestar

from services.training.application import TrainingRecords
from shared.http.app import build_app
from shared.settings import Settings


def create_app(settings: Settings | None = None) -> Litestar:
    """Build the training service from the environment (or the given settings)."""
    service = TrainingRecords(settings or Settings.from_env())
    return build_app(
        service,
        [],
        title="carecred training service",
        description="Training providers, course catalogue and the annual training-hours ledger.",
    )
