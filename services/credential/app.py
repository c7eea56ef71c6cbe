"""App factory of the credential service (``uvicorn --factory services.credential.app:create_app``).

The composition root: the one place that builds the application (badges included) and hands
its use cases to the controllers, by litestar dependency injection (a handler declares
``registry: NamedDependency[Registry]``).
"""

from __future__ import annotations

from litestar import Litestar

from services.credential.application import Credentials
from services.credential.read_models.feed import FEED_PAGE
from services.credential.http.badges import BADGE_CONTROLLERS
from services.credential.http.assignments import AssignmentController
from services.credential.http.certificates import CertificateController
from services.credential.http.checks import CheckController
from services.credential.http.inspections import INSPECTION_CONTROLLERS
from services.credential.http.nurseries import NurseryController
from services.credential.http.policy import PolicyController
from services.credential.http.reports import DistrictController, ProfileController, RosterController
from services.credential.http.violations import ViolationController
from services.credential.http.web import WEB_CONTROLLERS
from services.credential.http.notices import NOTICE_CONTROLLERS
from services.credential.http.portable import PORTABLE_CONTROLLERS
from services.credential.http.staff import StaffController
from services.credential.http.timeline import TimelineController
from services.credential.http.transfers import TransferController
from shared.http.app import build_app
from shared.settings import Settings


def create_app(settings: Settings | None = None) -> Litestar:
    """Build the credential service from the environment (or the given settings)."""
    records = Credentials(settings or Settings.from_env())
    app = build_app(
        records,
        [
            NurseryController, StaffController, CertificateController, CheckController, PolicyController, AssignmentController,
            TransferController, ViolationController, ProfileController, RosterController, DistrictController, TimelineController,
            *BADGE_CONTROLLERS,
            *PORTABLE_CONTROLLERS,
            *WEB_CONTROLLERS, *NOTICE_CONTROLLERS, *INSPECTION_CONTROLLERS,
        ],
        title="carecred credential service",
        description="Staff registry, nurseries, certificates, role assignments, compliance and badges.",
        feed_page=FEED_PAGE,
        dependencies={
            "registry": records.registry, "policies": records.policies, "certificates": records.certificates,
            "assignments": records.assignments, "transfers": records.transfers, "integrity": records.integrity,
            "reports": records.reports, "badges": records.badges, "badge_issuance": records.badge_issuance,
            "portable": records.portable, "notices": records.notices, "nursery_lifecycle": records.nursery_lifecycle,
            "targets": records.targets, "timelines": records.timelines,
            "annual_figures": records.annual_figures, "inspectors": records.inspectors,
            "draws": records.draws, "visits": records.visits, "findings": records.findings,
            "inspection_reports": records.inspection_reports,
        },
    )
    app.on_startup.append(records.notice_loop.start)  # the daily pass and the webhook deliveries, in the background
    app.on_shutdown.insert(0, records.notice_loop.stop)
    return app
