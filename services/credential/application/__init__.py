"""The credential service's application: load, call, save; then the read models follow.

``Credentials`` keeps the event store and the read models and composes the use cases, one
small class per area, each given its collaborators in its constructor:

* ``registry`` (``registry.py``): nurseries and staff;
  ``nursery_lifecycle`` (``nurseries.py``): a nursery's changes by effective date, staff left at closed ones;
* ``policies`` (``policy.py``): the versioned role policy;
* ``certificates`` (``certificates.py``), ``assignments`` (``assignments.py``),
  ``transfers`` (``transfers.py``), ``integrity`` (``integrity.py``);
* ``reports`` (``queries.py``): profile, roster, expiring, district figures;
  ``targets`` (``targets.py``): the action plan's targets on a date;
* ``annual_figures`` (``annual_figures.py``): a year's figures signed and bound to a checkpoint, and verified;
* ``municipal_exports`` (``municipal.py``): the export to the municipal platform, full or incremental;
* ``timelines`` (``timeline.py``): an auditor's timeline of a person, each entry with its event and proof;
* ``badges`` (``badges.py``): badge keys, signing, status, verifying;
  ``badge_issuance`` (``badge_issuance.py``): a badge only for a person compliant today;
* ``portable`` (``portable.py``): certificates and training years as Verifiable Credentials;
* ``inspectors`` (``inspectors.py``), ``draws`` (``draws.py``), ``visits`` (``visits.py``), ``findings``
  (``findings.py``), ``inspection_reports`` (``inspections.py``): inspections (docs/inspections.md);
* ``notices`` (``notices.py``): webhook subscriptions, the daily notice pass, deliveries;
  ``notice_loop`` (``notice_loop.py``): both in the background of the running service.

The HTTP layer receives these objects by dependency injection (``services/credential/app.py``).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from contracts.keys import Role
from services.credential.application.assessment_certificates import AssessmentCertificates
from services.credential.application.annual_figures import DDL as ANNUAL_FIGURES_DDL, AnnualFiguresPublisher
from services.credential.application.assignments import Assignments
from services.credential.application.badge_issuance import BadgeIssuance
from services.credential.application.badges import Badges
from services.credential.application.certificates import Certificates
from services.credential.application.draws import Draws
from services.credential.application.findings import Findings
from services.credential.application.inspections import InspectionReports
from services.credential.application.inspectors import Inspectors
from services.credential.application.integrity import Integrity
from services.credential.application.municipal import MunicipalExports
from services.credential.application.notice_loop import NoticeLoop
from services.credential.application.notice_sources import NoticeSources
from services.credential.application.notices import Notices
from services.credential.application.nurseries import NurseryLifecycle
from services.credential.application.policy import Policies
from services.credential.application.portable import PortableCredentials
from services.credential.application.queries import Reports
from services.credential.application.registry import Registry
from services.credential.application.targets import PlanTargets
from services.credential.application.timeline import PersonTimelines
from services.credential.application.transfers import Transfers
from services.credential.application.visit_compliance import VisitCompliance
from services.credential.application.visits import Visits
from services.credential.read_models import feed
from services.credential.read_models.assessment_certificates import AssessmentCertificatesProjection
from services.credential.read_models.badges import BadgeProjection, BadgeProjector
from services.credential.read_models.certification import CertificationProjection
from services.credential.read_models.inspections import InspectionProjection
from services.credential.read_models.nurseries import NurseryLifecycleProjection
from services.credential.read_models.notices import (
    NoticeProjection, NoticeProjector, create_tables as create_notice_tables,
)
from services.credential.read_models.portable import PortableProjection
from services.credential.read_models.registry import RegistryProjection
from services.credential.read_models.training_status import training_follower
from services.credential.read_models.transfers import TransferProjection
from shared.application import ServiceApplication
from shared.follower import Follower
from shared.projection import Projection, Projector
from shared.settings import Settings


class Credentials(ServiceApplication):
    """Nurseries, the staff registry, certificates, role policy, assignments, compliance, badges and notices."""

    service = "credential"

    def __init__(self, settings: Settings):
        super().__init__(settings)
        self.id_hash_key = self.settings.resolved_id_hash_key()
        self.badges = Badges(self, self.id_hash_key)  # its tables made (or rebuilt: BadgeProjection.schema) at start, like the others
        self.versioned.append(self.badges.projector)  # the key check reads the badge version too: verify asks no more
        self.registry = Registry(self, self.id_hash_key)
        self.policies = Policies(self)
        self.transfers = Transfers(self)
        self.certificates = Certificates(self, self.policies, self.badges)
        self.assessment_certificates = AssessmentCertificates(self, self.certificates)
        self.nursery_lifecycle = NurseryLifecycle(self, self.registry)
        self.assignments = Assignments(self, self.policies, self.certificates, self.transfers, self.nursery_lifecycle)
        self.integrity = Integrity(self, self.badges)
        self.reports = Reports(self, self.policies, self.certificates, self.integrity, self.followers[0])
        self.targets = PlanTargets(self.nursery_lifecycle, self.reports, InspectionReports(self))
        self.badge_issuance = BadgeIssuance(self, self.registry, self.reports, self.badges)
        self.portable = PortableCredentials(self, self.registry, self.certificates, self.policies)
        self.notices = Notices(self, self.registry, NoticeSources(self, self.reports))  # its tables too, like the badges'
        self.notice_loop = NoticeLoop(self.notices)
        self.timelines = PersonTimelines(self, self.audit, self.badges.projector)
        self.annual_figures = AnnualFiguresPublisher(self)
        self.municipal_exports = MunicipalExports(self)
        self.inspectors = Inspectors(self)
        self.draws = Draws(self)
        self.visits = Visits(self, self.badges, self.draws, VisitCompliance(self, self.policies, self.certificates))
        self.findings = Findings(self, self.visits)
        self.inspection_reports = InspectionReports(self)

    def projections(self) -> list[Projection]:
        return [RegistryProjection(), CertificationProjection(), TransferProjection(), PortableProjection(),
                NurseryLifecycleProjection(), InspectionProjection(), AssessmentCertificatesProjection()]

    def create_tables(self) -> None:
        super().create_tables()
        BadgeProjector(self, self.store, [BadgeProjection()]).create_tables()  # badges keep their own projector
        create_notice_tables(NoticeProjector(self, self.store, [NoticeProjection()]))  # and notices theirs
        with self.store.transaction(commit=True) as cur:
            cur.execute(ANNUAL_FIGURES_DDL)  # the signed annual figures as published

    def public_event(self, event: Any, position: int) -> Any:
        return feed.public_event(self, event, position)

    def make_followers(self) -> list[Follower]:
        return [training_follower(self.store, self.settings)]

    def projectors(self) -> list[Projector]:
        return [self.projector, self.badges.projector, self.notices.projector]

    def scope_is_known(self, role: Role, scope: str) -> bool | None:
        """An hr key's nursery and an inspector key's inspector must be registered here; provider keys name the
        training service's providers."""
        if role is Role.INSPECTOR:
            return self.inspectors.exists(str(UUID(scope)))
        if role is not Role.HR:
            return None
        self.projector.catch_up()
        return self.store.query_one("SELECT 1 FROM nurseries WHERE nursery_id = ?", (str(UUID(scope)),)) is not None
