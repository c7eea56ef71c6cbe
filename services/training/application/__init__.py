"""The training service's application: load, call, save; then the read models follow.

The parts live beside this file: ``catalogue.py`` (providers and courses), ``posting.py``
(completions, one or in bulk), ``corrections.py`` (reversal, correction), ``queries.py``
(the ledger) and ``people.py`` (who is registered, learned from the credential feed).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from contracts.keys import Role
from services.training.read_models import feed
from services.training.application.catalogue import CatalogueMixin
from services.training.application.corrections import CorrectionsMixin
from services.training.read_models.people import PeopleMixin
from services.training.application.posting import PostingMixin
from services.training.read_models.projections import CatalogueProjection, KnownPeople, LedgerProjection
from services.training.application.queries import LedgerQueriesMixin
from services.training.read_models.registry_follower import registry_follower
from shared.application import ServiceApplication
from shared.cache import VersionedCache
from shared.follower import Follower
from shared.group_commit import GroupCommit
from shared.projection import Projection


class TrainingRecords(
    CatalogueMixin, PostingMixin, CorrectionsMixin, LedgerQueriesMixin, PeopleMixin, ServiceApplication,
):
    """Providers, courses and the completions ledger (年度培训学时 per person and year)."""

    service = "training"
    feed_reads = ("ledger",)  # each completion carries the person's year totals, read from the ledger

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.id_hash_key = self.settings.resolved_id_hash_key()
        self.catalogues: VersionedCache[tuple[dict[str, Any], dict[str, Any]]] = VersionedCache()
        """Providers' catalogues for checking completions, by provider id (see ``catalogue_rows``)."""
        self.completion_writer: GroupCommit[Any, Any] = GroupCommit(
            self.save_completion_group, self.save_one_completion,
            collision=IntegrityError, after_group=self.after_completion_group, name="training-completions",
        )
        """Single completions posted concurrently are saved together, one transaction per group."""

    def close(self) -> None:
        self.completion_writer.stop()
        super().close()

    def scope_is_known(self, role: Role, scope: str) -> bool | None:
        """A provider key's provider must be approved here; hr keys name the credential service's nurseries."""
        if role is not Role.PROVIDER:
            return None
        self.projector.catch_up()
        return self.store.query_one("SELECT 1 FROM providers WHERE provider_id = ?", (str(UUID(scope)),)) is not None

    def projections(self) -> list[Projection]:
        return [CatalogueProjection(), LedgerProjection(), KnownPeople()]

    def public_event(self, event: Any, position: int) -> Any:
        return feed.public_event(self, event, position)

    def make_followers(self) -> list[Follower]:
        return [registry_follower(self)]
