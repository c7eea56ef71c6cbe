"""The role policy (岗位持证要求) as clients send and see it: certificate types and role requirements."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

Code = Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9_]{1,39}$")]
Label = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]


class CertificateType(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, frozen=True):
    """A kind of certificate: its code, names, and which roles may record one."""

    code: Code
    name_zh: Label
    name_en: Label
    recordable_by: list[Literal["registrar", "hr"]] = msgspec.field(default_factory=lambda: ["registrar"])
    renewal_months: Annotated[int, msgspec.Meta(ge=1, le=240)] | None = None
    """How often it is usually renewed (informative; expiry comes from each certificate)."""


class RequirementGroup(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, frozen=True):
    """Either every listed type (``all_of``) or at least one of them (``any_of``)."""

    all_of: list[Code] | None = None
    any_of: list[Code] | None = None


class RoleSpec(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, frozen=True):
    """A job role and the certificate groups a person needs to work in it."""

    code: Code
    name_zh: Label
    name_en: Label
    requires: list[RequirementGroup]


class PolicyDocument(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, frozen=True):
    """The full content of one policy version."""

    certificate_types: list[CertificateType]
    roles: list[RoleSpec]


class PolicyAdoption(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A new policy version for the registrar to adopt, and why."""

    content: PolicyDocument
    note: Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]


class PolicyView(msgspec.Struct, kw_only=True):
    """An adopted policy version."""

    version: int
    content_hash: str
    """sha256 (hex) of the canonical JSON of ``content`` (sorted keys, no spaces)."""
    adopted_at: str
    note: str
    content: PolicyDocument
