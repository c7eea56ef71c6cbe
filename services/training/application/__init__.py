"""The training service's application: load, call, save; then the read models follow.

``TrainingRecords`` keeps the event store and the read models and composes the use cases,
one small class per area, each given its collaborators in its constructor:

* ``catalogue`` (``catalogue.py``): providers and courses;
* ``posting`` (``posting.py``): completions, one or in bulk;
* ``corrections`` (``corrections.py``): reversal, correction;
* ``ledger`` (``queries.py``): a person's year, a provider's submissions;
* ``trainers``, ``sessions`` (``delivery.py``): trainers and their own training, sessions,
  attendance by badge scan;
* ``assessments`` (``assessments.py``): assessment results, the subsidy list, payments;
* ``rules`` (``rules.py``): training-rules versions (hours per category per role);
* ``people`` (``read_models/people.py``): who is registered, learned from the credential feed;
* ``xapi_statements`` (``xapi_statements.py``), ``xapi_queries`` (``xapi_queries.py``): the Learning
  Record Store of the providers' platforms (statements become completions through ``posting``).

The HTTP layer receives these objects by dependency injection (``services/training/app.py``).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from contracts.keys import Role
from services.training.application.assessments import Assessments
from services.training.application.catalogue import Catalogue
from services.training.application.corrections import Corrections
from services.training.application.delivery import Sessions, Trainers
from services.training.application.posting import Posting
from services.training.application.queries import LedgerQueries
from services.training.application.rules import RulesBook
from services.training.application.xapi_queries import XapiQueries
from services.training.application.xapi_statements import XapiStatements
from services.training.read_models import feed
from services.training.read_models.people import People
from services.training.read_models.projections import (
    AssessmentProjection, CatalogueProjection, DeliveryProjection, KnownPeople, LedgerProjection, RulesProjection,
)
from services.training.read_models.registry_follower import registry_follower
from services.training.read_models.statements import StatementStore
from shared.application import ServiceApplication
from shared.follower import Follower
from shared.projection import Projection
from shared.settings import Settings


class TrainingRecords(ServiceApplication):
    """Providers, courses and the completions ledger (年度培训学时 per person and year)."""

    service = "training"
    feed_reads = ("ledger", "rules")  # each completion carries the person's year totals and requirement

    def __init__(self, settings: Settings):
        super().__init__(settings)
        self.id_hash_key = self.settings.resolved_id_hash_key()
        self.people = People(self.store, self.id_hash_key)
        self.catalogue = Catalogue(self)
        self.trainers = Trainers(self, self.catalogue)
        self.sessions = Sessions(self, self.catalogue, self.trainers, self.people)
        self.posting = Posting(self, self.catalogue, self.people, sessions=self.sessions)
        self.corrections = Corrections(self, self.catalogue, self.people, self.posting)
        self.ledger = LedgerQueries(self, self.catalogue, self.people)
        self.xapi_statements = XapiStatements(self, self.catalogue, self.posting, self.corrections)
        self.xapi_queries = XapiQueries(self)
        self.rules = RulesBook(self)
        self.assessments = Assessments(self, self.catalogue, self.people)

    def close(self) -> None:
        self.posting.close()
        super().close()

    def scope_is_known(self, role: Role, scope: str) -> bool | None:
        """A provider key's provider must be approved here; hr keys name the credential service's nurseries."""
        if role is not Role.PROVIDER:
            return None
        self.projector.catch_up()
        return self.store.query_one("SELECT 1 FROM providers WHERE provider_id = ?", (str(UUID(scope)),)) is not None

    def projections(self) -> list[Projection]:
        return [CatalogueProjection(), LedgerProjection(), KnownPeople(), RulesProjection(), DeliveryProjection(),
                AssessmentProjection(), StatementStore()]

    def public_event(self, event: Any, position: int) -> Any:
        return feed.public_event(self, event, position)

    def make_followers(self) -> list[Follower]:
        return [registry_follower(self.store, self.settings)]
