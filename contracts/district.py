"""The action plan's targets for the district as on a date: each with its numerator, denominator and target."""

from __future__ import annotations

import msgspec


class TargetFigure(msgspec.Struct, kw_only=True):
    """One of the plan's targets: how many of how many, the share, the target share, met or not."""

    code: str
    """town_coverage, inclusive_share, kindergarten_nursery_classes, certified_rate, infant_care_share,
    training_completion (and, once inspections are recorded, the inspection figures)"""
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
