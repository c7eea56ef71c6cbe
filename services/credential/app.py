"""App factory of the credential service (``uvicorn --factory services.credential.app:create_app``)."""

from __future__ import annotations

from litestar import Litestar

from services.credential.application import Credentials
from services.credential.feed import FEED_PAGE
from services.credential.http.assignments import AssignmentController
from services.credential.http.certificates import CertificateController
from services.credential.badges.http import BADGE_CONTROLLERS
from services.credential.http.nurseries import NurseryController
from services.credential.http.policy import PolicyController
from services.credential.http.reports import DistrictController, ProfileController, RosterController
from services.credential.http.violations import ViolationController
from services.credential.http.web import WEB_CONTROLLERS
from services.credential.portable.http import PORTABLE_CONTROLLERS
from services.credential.http.staff import StaffController
from services.credential.http.transfers import TransferController
from shared.http.app import build_app
from shared.settings import Settings


def create_app(settings: Settings | None = None) -> Litestar:
    """Build the credential service from the environment (or the given settings)."""
    service = Credentials(settings or Settings.from_env())
    return build_app(
        service,
        [
            NurseryController, StaffController, CertificateController, PolicyController, AssignmentController,
            TransferController, ViolationController, ProfileController, RosterController, DistrictController, *BADGE_CONTROLLERS,
            *PORTABLE_CONTROLLERS,
            *WEB_CONTROLLERS,
        ],
        title="carecred credential service",
        description="Staff registry, nurseries, certificates, role assignments, compliance and badges.",
        feed_page=FEED_PAGE,
    )
