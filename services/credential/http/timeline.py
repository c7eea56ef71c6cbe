"""An auditor's (and the registrar's) timeline of a person: every recorded fact, each with its event and proof."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath

from contracts.keys import Role
from contracts.timeline import PersonTimeline
from services.credential.application.timeline import PersonTimelines
from shared.auth.roles import Principal
from shared.http.auth import allow
from shared.http.params import AsOf, checked_instant


class TimelineController(Controller):
    """Everything recorded about a person across aggregates, and the training totals received on the feed."""

    path = "/v1/audit/people"
    tags = ["audit"]

    @get("/{staff_id:uuid}/timeline", guards=[allow(Role.AUDITOR, Role.REGISTRAR)], sync_to_thread=True)
    def timeline(
        self, timelines: NamedDependency[PersonTimelines], staff_id: FromPath[UUID],
        request: Request[Principal, Any, Any], as_of: AsOf = None,
    ) -> PersonTimeline:
        """Registration, certificates and their changes, assignments, badges, integrity records, transfers and
        training totals, in the order recorded; each event with its position and inclusion proof. ``as_of``: as
        recorded then."""
        return timelines.timeline(staff_id, as_of=checked_instant(as_of))
