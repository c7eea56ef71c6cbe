"""App factory of the training service (``uvicorn --factory services.training.app:create_app``)."""

from __future__ import annotations

from litestar import Litestar

from services.training.application import TrainingRecords
from services.training.read_models.feed import FEED_PAGE
from services.training.http.completions import CompletionController
from services.training.http.ledger import LedgerController
from services.training.http.providers import CourseController, ProviderController
from shared.http.app import build_app
from shared.settings import Settings


def create_app(settings: Settings | None = None) -> Litestar:
    """Build the training service from the environment (or the given settings)."""
    service = TrainingRecords(settings or Settings.from_env())
    return build_app(
        service,
        [ProviderController, CourseController, CompletionController, LedgerController],
        title="carecred training service",
        description="Training providers, course catalogue and the annual training-hours ledger.",
        feed_page=FEED_PAGE,
    )
