"""Role policy (岗位持证要求) as versioned data: which certificates each role requires.

The rules live in a JSON document (the default ships as ``policy/default.json``); each
adopted version is an event on the ``RolePolicy`` aggregate with its content and sha256 hash.
Loading a document is pure and cached by its hash.
"""

from __future__ import annotations

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


class CertificateType(msgspec.Struct, frozen=True, kw_only=True):
    """A kind of certificate: its code, names, and which roles may record one."""

    code: str
    name_zh: str
    name_en: str
    recordable_by: list[str] = msgspec.field(default_factory=lambda: ["registrar"])
    renewal_months: int | None = None


class RequirementGroup(msgspec.Struct, frozen=True, kw_only=True):
    """Either every listed type (``all_of``) or at least one of them (``any_of``)."""

    all_of: list[str] | None = None
    any_of: list[str] | None = None


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

    @staticmethod
    def create_id() -> Any:
        return ROLE_POLICY_ID

    @event(Started)
    def __init__(self, actor: dict[str, Any]):
        self.policy_version = 0
        self.content_hash = ""

    def adopt(self, document: PolicyDocument, note: str, actor: dict[str, Any]) -> None:
        """Adopt a validated document as the next version."""
        validate(document)
        content = canonical_content(document)
        self._adopted(
            policy_version=self.policy_version + 1, content=content,
            content_hash=content_hash(content), note=note, actor=actor,
        )

    @event(Adopted)
    def _adopted(self, policy_version: int, content: dict[str, Any], content_hash: str, note: str, actor: dict[str, Any]) -> None:
        self.policy_version = policy_version
        self.content_hash = content_hash
