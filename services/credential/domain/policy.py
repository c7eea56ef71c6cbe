"""Role policy (岗位持证要求) as versioned data: which certificates each role requires.

The rules live in a JSON document (the default ships as ``policy/default.json``); each
adopted version is an event on the ``RolePolicy`` aggregate with its content and sha256 hash.
Loading a document is pure and cached by its hash.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Any
from uuid import NAMESPACE_URL, uuid5

import msgspec
from eventsourcing.domain import Aggregate, event

from shared.errors import Invalid

DEFAULT_POLICY_PATH = Path(__file__).resolve().parent.parent / "policy" / "default.json"
ROLE_POLICY_ID = uuid5(NAMESPACE_URL, "urn:carecred:role-policy")
_canonical = msgspec.json.Encoder(order="sorted")
KINDS = ("certificate", "health_check", "background_check")
SHANGHAI_V2_PATH = DEFAULT_POLICY_PATH.parent / "shanghai-v2.json"


class CertificateType(msgspec.Struct, frozen=True, kw_only=True):
    """A kind of certificate: its code, names, and which roles may record one."""

    code: str
    name_zh: str
    name_en: str
    recordable_by: list[str] = msgspec.field(default_factory=lambda: ["registrar"])
    renewal_months: int | None = None
    # Policy v2 (absent from v1 documents, which read as the defaults) ---------------------------
    levels: list[int] | None = None
    """The levels it is issued at (职业技能等级 五级..一级 as 5..1; a lower number is a higher level)."""
    expires: bool = True
    """False for a certificate that never expires (教师资格证): it is recorded without ``expires_on``."""
    recheck_months: int | None = None
    """A check repeated this often (health, background): its next due date defaults to this many months on."""
    kind: str = "certificate"
    """certificate, health_check or background_check (checks record a result and who checked)."""


class RequirementGroup(msgspec.Struct, frozen=True, kw_only=True):
    """Either every listed type (``all_of``) or at least one of them (``any_of``)."""

    all_of: list[str] | None = None
    any_of: list[str] | None = None
    min_level: int | None = None
    """Policy v2: the lowest level that counts ("四级 or higher" is 4); every type in the group has levels."""
    recheck_months: int | None = None
    """Policy v2: a check counts for at most this many months after it was taken, for this role."""


class RoleSpec(msgspec.Struct, frozen=True, kw_only=True):
    """A job role and the certificate groups a person needs to work in it."""

    code: str
    name_zh: str
    name_en: str
    requires: list[RequirementGroup]


class PolicyDocument(msgspec.Struct, frozen=True, kw_only=True):
    """The full content of one policy version (the public form is ``contracts.policy.PolicyDocument``)."""

    certificate_types: list[CertificateType]
    roles: list[RoleSpec]


class Policy(msgspec.Struct, frozen=True, kw_only=True):
    """One adopted policy version, indexed for lookups."""

    version: int
    content_hash: str
    document: PolicyDocument
    types: dict[str, CertificateType]
    roles: dict[str, RoleSpec]

    def role(self, code: str) -> RoleSpec | None:
        return self.roles.get(code)

    def certificate_type(self, code: str) -> CertificateType | None:
        return self.types.get(code)


def content_hash(content: dict[str, Any]) -> str:
    """sha256 of the canonical JSON (sorted keys, no spaces) of a policy document."""
    return hashlib.sha256(_canonical.encode(content)).hexdigest()


def canonical_content(document: PolicyDocument) -> dict[str, Any]:
    """The document as the plain JSON values an event stores."""
    return msgspec.json.decode(_canonical.encode(document))


def validate(document: PolicyDocument) -> None:
    """Raise ``Invalid`` naming the field when the document is not a usable policy."""
    codes: set[str] = set()
    for i, ct in enumerate(document.certificate_types):
        if ct.code in codes:
            raise Invalid(f"certificate type {ct.code!r} is listed twice", field=f"content.certificate_types[{i}].code")
        if not ct.recordable_by:
            raise Invalid("somebody must be able to record it", field=f"content.certificate_types[{i}].recordable_by")
        if ct.levels is not None and (not ct.levels or len(set(ct.levels)) != len(ct.levels)
                                      or any(not 1 <= lv <= 5 for lv in ct.levels)):
            raise Invalid("levels are distinct numbers 1..5 (一级..五级)", field=f"content.certificate_types[{i}].levels")
        if ct.kind not in KINDS:
            raise Invalid(f"kind must be one of {', '.join(KINDS)}", field=f"content.certificate_types[{i}].kind")
        if ct.recheck_months is not None and not ct.expires:
            raise Invalid("a re-checked type has a next due date", field=f"content.certificate_types[{i}].recheck_months")
        codes.add(ct.code)
    if not document.roles:
        raise Invalid("a policy needs at least one role", field="content.roles")
    roles: set[str] = set()
    for i, role in enumerate(document.roles):
        where = f"content.roles[{i}]"
        if role.code in roles:
            raise Invalid(f"role {role.code!r} is listed twice", field=f"{where}.code")
        roles.add(role.code)
        if not role.requires:
            raise Invalid(f"role {role.code!r} requires no certificate", field=f"{where}.requires")
        for j, group in enumerate(role.requires):
            if (group.all_of is None) == (group.any_of is None):
                raise Invalid("a requirement group has exactly one of all_of or any_of", field=f"{where}.requires[{j}]")
            kind = "all_of" if group.all_of is not None else "any_of"
            members = group.all_of if group.all_of is not None else group.any_of
            if not members:
                raise Invalid("a requirement group lists at least one type", field=f"{where}.requires[{j}].{kind}")
            for k, code in enumerate(members or []):
                if code not in codes:
                    raise Invalid(
                        f"unknown certificate type {code!r}", field=f"{where}.requires[{j}].{kind}[{k}]",
                        code="unknown_certificate_type",
                    )
            _validate_terms(document, group, f"{where}.requires[{j}]")


def _validate_terms(document: PolicyDocument, group: RequirementGroup, where: str) -> None:
    """A minimum level needs levelled types that have it; a re-check interval needs re-checked types."""
    types = {t.code: t for t in document.certificate_types}
    members = [types[c] for c in (group.all_of or group.any_of or [])]
    if group.min_level is not None:
        for t in members:
            if t.levels is None or group.min_level not in t.levels:
                raise Invalid(f"{t.code} is not issued at level {group.min_level}", field=f"{where}.min_level")
    if group.recheck_months is not None:
        for t in members:
            if t.kind == "certificate":
                raise Invalid(f"{t.code} is not a check", field=f"{where}.recheck_months")


@lru_cache(maxsize=32)
def _load(version: int, digest: str, raw: bytes) -> Policy:
    document = stored_document(msgspec.json.decode(raw))
    return Policy(
        version=version, content_hash=digest, document=document,
        types={t.code: t for t in document.certificate_types},
        roles={r.code: r for r in document.roles},
    )


def stored_document(content: dict[str, Any]) -> PolicyDocument:
    """An adopted version's document, as stored: it was checked when adopted, and a text rule
    added since to the public form must never make a recorded version unreadable."""
    return msgspec.convert(content, type=PolicyDocument)


def load_policy(version: int, content: dict[str, Any]) -> Policy:
    """The policy of an adopted version's stored content (pure; cached by version and hash)."""
    raw = _canonical.encode(content)
    return _load(version, hashlib.sha256(raw).hexdigest(), raw)


def default_document() -> PolicyDocument:
    """The default policy shipped with the service."""
    return msgspec.json.decode(DEFAULT_POLICY_PATH.read_bytes(), type=PolicyDocument)


def shanghai_v2_document() -> PolicyDocument:
    """Policy v2 (``policy/shanghai-v2.json``, explained in docs/policy-v2.md): levels, checks, real roles."""
    return msgspec.json.decode(SHANGHAI_V2_PATH.read_bytes(), type=PolicyDocument)


class RolePolicy(Aggregate):
    """The district's role policy: the sequence of adopted versions (one aggregate)."""

    TOPIC = "carecred.credential:RolePolicy"

    class Event(Aggregate.Event):
        TOPIC = "carecred.credential:RolePolicy.Event"
        actor: dict[str, Any]

    class Started(Event, Aggregate.Created):
        TOPIC = "carecred.credential:RolePolicy.Started.v1"

    class Adopted(Event):
        TOPIC = "carecred.credential:RolePolicy.Adopted.v1"
        policy_version: int
        content: dict[str, Any]
        content_hash: str
        note: str

    class AdoptedFrom(Event):
        """A version adopted to be in force from a business date (``Adopted.v1`` versions are in force
        from their adoption day, the first one from always)."""

        TOPIC = "carecred.credential:RolePolicy.Adopted.v2"
        policy_version: int
        content: dict[str, Any]
        content_hash: str
        note: str
        effective_on: str

    @staticmethod
    def create_id() -> Any:
        return ROLE_POLICY_ID

    @event(Started)
    def __init__(self, actor: dict[str, Any]):
        self.policy_version = 0
        self.content_hash = ""

    def adopt(self, document: PolicyDocument, note: str, actor: dict[str, Any],
              effective_on: dt.date | None = None, adopted_on: dt.date | None = None) -> None:
        """Adopt a validated document as the next version (in force from ``effective_on`` when given:
        not before ``adopted_on``, the adoption day, nor before the version it follows)."""
        validate(document)
        content = canonical_content(document)
        if effective_on is None:
            self._adopted(
                policy_version=self.policy_version + 1, content=content,
                content_hash=content_hash(content), note=note, actor=actor,
            )
            return
        if adopted_on is not None and effective_on < adopted_on:
            raise Invalid(f"a policy is not adopted in the past: effective_on is {adopted_on} or later",
                          field="effective_on", code="effective_date_in_the_past")
        if effective_on.isoformat() < getattr(self, "effective_on", ""):
            raise Invalid(f"effective_on must not be before the version in force before it ({self.effective_on})",
                          field="effective_on", code="effective_date_out_of_order")
        self._adopted_from(
            policy_version=self.policy_version + 1, content=content, content_hash=content_hash(content),
            note=note, effective_on=effective_on.isoformat(), actor=actor,
        )

    @event(Adopted)
    def _adopted(self, policy_version: int, content: dict[str, Any], content_hash: str, note: str, actor: dict[str, Any]) -> None:
        self.policy_version = policy_version
        self.content_hash = content_hash

    @event(AdoptedFrom)
    def _adopted_from(self, policy_version: int, content: dict[str, Any], content_hash: str, note: str,
                      effective_on: str, actor: dict[str, Any]) -> None:
        self.policy_version = policy_version
        self.content_hash = content_hash
        self.effective_on = effective_on
