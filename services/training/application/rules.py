"""Adopting and reading training-rules versions (培训规则): hours per category per role.

See ``domain/rules.py`` for how a year's rules are chosen and pro-rated, and
``docs/training-rules.md`` for the rule as the district reads it.
"""

from __future__ import annotations

import json
from typing import Any

from eventsourcing.persistence import IntegrityError

from contracts.training import HoursByCategory, NewTrainingRules, RoleHours, TrainingRulesView
from services.training.domain.hours import InvalidHours, half_hours_of, hours_of
from services.training.domain.requirement import CATEGORIES, ETHICS, SKILLS
from services.training.domain.rules import RULES_V1, TrainingRules
from shared.application import ServiceApplication
from shared.district import today
from shared.errors import Conflict, Invalid, NotFound


def _half_hours(hours: float, field: str) -> int:
    """Class hours in halves, zero allowed (a role may owe nothing in a category)."""
    if hours == 0:
        return 0
    try:
        return half_hours_of(hours)
    except InvalidHours as exc:
        raise Invalid(f"{field} {exc}", field=field, code="invalid_class_hours") from None


def _view(version: int, applies_from_year: int, body: dict[str, Any], pro_rata: bool, note: str,
          adopted_at: str | None) -> TrainingRulesView:
    default = body["default"]
    return TrainingRulesView(
        version=version, applies_from_year=applies_from_year,
        default=HoursByCategory(skills=hours_of(default[SKILLS]), ethics=hours_of(default[ETHICS])),
        roles=[RoleHours(role=role, skills=hours_of(h[SKILLS]), ethics=hours_of(h[ETHICS]))
               for role, h in sorted(body["roles"].items())],
        pro_rata=pro_rata, note=note, adopted_at=adopted_at,
    )


V1_VIEW = _view(RULES_V1.version, RULES_V1.applies_from_year, {"default": dict(RULES_V1.default), "roles": {}},
                False, "The constants: 72 skills and 40 ethics class hours for every role, every year (seed 三(三)).",
                None)


class RulesBook:
    """The registrar adopts training-rules versions; everyone reads them."""

    def __init__(self, records: ServiceApplication):
        self.records = records

    def adopt(self, data: NewTrainingRules, actor: dict[str, Any]) -> TrainingRulesView:
        """Adopt the next version: 409 unless it follows the latest; 422 for a past year or bad hours."""
        latest = self.versions()[-1]
        if data.version != latest.version + 1:
            raise Conflict(f"the next rules version is {latest.version + 1}", code="rules_version",
                           latest_version=latest.version)
        this_year = today().year
        if data.applies_from_year < this_year:
            raise Invalid(f"applies_from_year must not be a past year (before {this_year}): a past year keeps its rules",
                          field="applies_from_year", code="past_year")
        if data.applies_from_year < latest.applies_from_year:
            raise Invalid(f"applies_from_year must not be before version {latest.version}'s ({latest.applies_from_year})",
                          field="applies_from_year", code="before_previous_rules")
        default = {SKILLS: _half_hours(data.default.skills, "default.skills"),
                   ETHICS: _half_hours(data.default.ethics, "default.ethics")}
        roles: dict[str, dict[str, int]] = {}
        for index, item in enumerate(data.roles):
            if item.role in roles:
                raise Invalid(f"role {item.role} is listed twice", field=f"roles[{index}].role", code="duplicate_role")
            roles[item.role] = {SKILLS: _half_hours(item.skills, f"roles[{index}].skills"),
                                ETHICS: _half_hours(item.ethics, f"roles[{index}].ethics")}
        rules = TrainingRules(version=data.version, applies_from_year=data.applies_from_year, default=default,
                              roles=roles, pro_rata=data.pro_rata, note=data.note, actor=actor)
        try:
            self.records.save_and_project(rules)
        except IntegrityError:
            raise Conflict(f"rules version {data.version} is already adopted", code="rules_version") from None
        return self.version(data.version)

    def versions(self) -> list[TrainingRulesView]:
        """Every version, 1 (the constants) first."""
        self.records.projector.catch_up("rules")
        rows = self.records.store.query("SELECT * FROM training_rules ORDER BY version")
        return [V1_VIEW, *(self._row_view(r) for r in rows)]

    def version(self, version: int) -> TrainingRulesView:
        if version == RULES_V1.version:
            return V1_VIEW
        self.records.projector.catch_up("rules")
        row = self.records.store.query_one("SELECT * FROM training_rules WHERE version = ?", (version,))
        if row is None:
            raise NotFound(f"no training rules version {version}")
        return self._row_view(row)

    @staticmethod
    def _row_view(row: Any) -> TrainingRulesView:
        body = json.loads(row["rules"])
        for hours in [body["default"], *body["roles"].values()]:
            for category in CATEGORIES:
                hours.setdefault(category, 0)
        return _view(row["version"], row["applies_from_year"], body, bool(row["pro_rata"]), row["note"],
                     row["adopted_at"])
