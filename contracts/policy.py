"""The role policy (岗位持证要求) as clients send and see it: certificate types and role requirements."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from contracts.command import Command
from contracts.dates import BusinessDate
from contracts.text import Label, Reason, line

Code = line(40, "A code of the role policy (a certificate type or a role): lower-case letters, digits and _",
            min_length=2, pattern=r"^[a-z][a-z0-9_]{1,39}$", ascii_form=True)


class CertificateType(Command, kw_only=True, frozen=True):
    """A kind of certificate: its code, names, and which roles may record one."""

    code: Code
    name_zh: Label
    name_en: Label
    recordable_by: list[Literal["registrar", "hr"]] = msgspec.field(default_factory=lambda: ["registrar"])
    renewal_months: Annotated[int, msgspec.Meta(ge=1, le=240)] | None = None
    """How often it is usually renewed (informative; expiry comes from each certificate)."""
    levels: list[Annotated[int, msgspec.Meta(ge=1, le=5)]] | None = None
    """Policy v2: the levels it is issued at (职业技能等级 五级..一级 as 5..1; lower is higher)."""
    expires: bool = True
    """Policy v2: false for a certificate that never expires (教师资格证), recorded without ``expires_on``."""
    recheck_months: Annotated[int, msgspec.Meta(ge=1, le=120)] | None = None
    """Policy v2: a check repeated this often; a recorded check is next due this many months on by default."""
    kind: Literal["certificate", "health_check", "background_check"] = "certificate"
    """Policy v2: a certificate, or a check (health, background) that records who checked and its result."""


class RequirementGroup(Command, kw_only=True, frozen=True):
    """Either every listed type (``all_of``) or at least one of them (``any_of``)."""

    all_of: list[Code] | None = None
    any_of: list[Code] | None = None
    min_level: Annotated[int, msgspec.Meta(ge=1, le=5)] | None = None
    """Policy v2: the lowest level that counts ("四级 or higher" is 4)."""
    recheck_months: Annotated[int, msgspec.Meta(ge=1, le=120)] | None = None
    """Policy v2: a check counts for this role at most this many months after it was taken."""


class RoleSpec(Command, kw_only=True, frozen=True):
    """A job role and the certificate groups a person needs to work in it."""

    code: Code
    name_zh: Label
    name_en: Label
    requires: list[RequirementGroup]


class PolicyDocument(Command, kw_only=True, frozen=True):
    """The full content of one policy version."""

    certificate_types: list[CertificateType]
    roles: list[RoleSpec]


class PolicyAdoption(Command, kw_only=True):
    """A new policy version for the registrar to adopt, and why."""

    content: PolicyDocument
    note: Reason
    effective_on: BusinessDate | None = None
    """Policy v2: the day it comes into force (today or later); without it, from its adoption day."""


class PolicyView(msgspec.Struct, kw_only=True):
    """An adopted policy version."""

    version: int
    content_hash: str
    """sha256 (hex) of the canonical JSON of ``content`` (sorted keys, no spaces)."""
    adopted_at: str
    note: str
    content: PolicyDocument
    effective_on: str | None = None
    """The first day it is in force (None: the first version, in force for every earlier date)."""
