"""App factory of the training service (``uvicorn --factory services.training.app:create_app``).

The composition root: the one place that builds the application and hands its use cases to
the controllers, by litestar dependency injection (a handler declares ``catalogue: Catalogue``).
"""

from __future__ import annotations

from litestar import Litestar

from services.training.application import TrainingRecords
from services.training.read_models.feed import FEED_PAGE
from services.training.http.assessments import AssessmentController, SubsidyClaimController, SubsidyListController
from services.training.http.completions import CompletionController
from services.training.http.delivery import SessionController, TrainerController
from services.training.http.ledger import LedgerController
from services.training.http.providers import CourseController, ProviderController
from services.training.http.xapi_wire import with_xapi_version
from services.training.http.xapi import XapiAboutController, XapiNotCountedController, XapiStatementsController
from services.training.http.rules import TrainingRulesController
from shared.http.app import build_app
from shared.settings import Settings


def create_app(settings: Settings | None = None) -> Litestar:
    """Build the training service from the environment (or the given settings)."""
    records = TrainingRecords(settings or Settings.from_env())
    app = build_app(
        records,
        [ProviderController, CourseController, CompletionController, LedgerController, TrainingRulesController,
         TrainerController, SessionController, AssessmentController, SubsidyListController, SubsidyClaimController,
         XapiAboutController, XapiStatementsController, XapiNotCountedController],
        dependencies={
            "catalogue": records.catalogue, "posting": records.posting, "corrections": records.corrections,
            "ledger": records.ledger, "rules": records.rules, "trainers": records.trainers,
            "sessions": records.sessions, "assessments": records.assessments,
            "xapi_statements": records.xapi_statements, "xapi_queries": records.xapi_queries,
        },
        title="carecred training service",
        description="Training providers, course catalogue and the annual training-hours ledger.",
        feed_page=FEED_PAGE,
    )
    app.asgi_handler = with_xapi_version(app.asgi_handler)  # the LRS's version header, on every answer under /xapi/
    return app
