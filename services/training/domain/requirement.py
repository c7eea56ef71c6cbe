"""Annual training requirement (年度培训学时): the 72 and 40 hours of rules v1.

Every worker must complete, per calendar year in Asia/Shanghai, at least 72 class hours of
comprehensive skills training (综合技能培训) and at least 40 class hours of professional ethics
education (职业道德教育) — seed 三(三). These constants are rules v1, what a store answers until
the registrar adopts versioned rules per role (``rules.py``).
"""

from __future__ import annotations

from services.training.domain.hours import half_hours_of

SKILLS = "skills"
"""Comprehensive skills training (综合技能培训)."""
ETHICS = "ethics"
"""Professional ethics education (职业道德教育)."""
CATEGORIES = (SKILLS, ETHICS)

TOPICS = ("professional_ethics", "professional_norms", "professional_skills", "safety", "mental_health")
"""Course topics named by the seed: 职业道德, 职业规范, 专业技能, 安全, 心理健康."""

REQUIRED_HOURS = {SKILLS: 72, ETHICS: 40}
"""Class hours required per person per calendar year, by category (年度培训学时)."""

REQUIRED_HALF_HOURS = {category: half_hours_of(hours) for category, hours in REQUIRED_HOURS.items()}


def shortfall(earned_half_hours: dict[str, int], required: dict[str, int] | None = None) -> dict[str, int]:
    """Half-hours still missing per category (never negative); ``required`` defaults to rules v1's."""
    required = REQUIRED_HALF_HOURS if required is None else required
    return {c: max(0, required.get(c, 0) - earned_half_hours.get(c, 0)) for c in CATEGORIES}
