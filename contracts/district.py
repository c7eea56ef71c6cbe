"""The action plan's targets for the district as on a date: each with its numerator, denominator and target."""

from __future__ import annotations

from typing import Annotated

import msgspec

from contracts.audit import Checkpoint
from contracts.command import Command
from contracts.credentials import DistrictFigures
from contracts.dates import BusinessDate


class TargetFigure(msgspec.Struct, kw_only=True):
    """One of the plan's targets: how many of how many, the share, the target share, met or not."""

    code: str
    """town_coverage, inclusive_share, kindergarten_nursery_classes, certified_rate, infant_care_share,
    training_completion, inspected_twice, random_checks_monthly, findings_overdue (overdue of open findings)"""
    title_zh: str
    """The plan's wording (三年行动计划)."""
    numerator: int
    denominator: int
    rate: float | None
    """numerator / denominator to 4 places; None when the denominator is 0."""
    target: float | None
    """The target share (1.0, 0.85, 0.5, 0.75); None for a figure the plan sets no share for."""
    met: bool | None
    """None when there is nothing to count, or no target."""


class TownCoverage(msgspec.Struct, kw_only=True):
    """A town, subdistrict or the industrial zone: covered when an open childcare facility is there on the date."""

    town: str
    covered: bool
    facilities: int
    inclusive_facilities: int


class DistrictTargets(msgspec.Struct, kw_only=True):
    """The plan's targets on a date, as recorded now or at ``as_of``."""

    on: str
    as_of: str | None
    """The recorded instant asked about (None: as recorded now)."""
    computed_at: str
    policy_version: int
    targets: list[TargetFigure]
    towns: list[TownCoverage]
    open_facilities: int
    """Open on the date and offering care (a kindergarten recorded with 0 places has no 托班)."""
    suspended_facilities: int
    closed_facilities: int
    training_as_of: str | None
    random_checks_per_month: dict[str, int] = msgspec.field(default_factory=dict)
    """“双随机” random checks opened in each month of the year so far (``YYYY-MM``; months without one are absent)."""


class NewAnnualFigures(Command, kw_only=True):
    """A year's figures to publish: as on ``on`` (default 31 December of the year, or today in the current year)."""

    year: Annotated[int, msgspec.Meta(ge=2000, le=2200)]
    on: BusinessDate | None = None


class AnnualFigures(msgspec.Struct, kw_only=True):
    """A year's figures, computed from the first ``checkpoint.tree_size`` events of the log (and the training
    totals received by ``checkpoint.timestamp``)."""

    format: str
    """carecred-figures/v1"""
    service: str
    year: int
    on: str
    checkpoint: Checkpoint
    """Signed: the log's size and Merkle root the figures were computed from."""
    last_position: int
    """The log position of the tree's last event."""
    targets: DistrictTargets
    figures: DistrictFigures


class SignedAnnualFigures(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The published figures, signed with the service's checkpoint key (Ed25519)."""

    document: AnnualFigures
    key_id: str
    public_key: str
    signature: str
    """Ed25519 over ``carecred-figures/v1\\n`` followed by the document's JSON as msgspec encodes it."""
