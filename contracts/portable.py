"""Portable credentials: W3C Verifiable Credentials 2.0 (Open Badges 3.0 shapes), status lists, the issuer's DID.

The service answers each credential secured as VC-JOSE-COSE describes (``application/vc+jwt``):
these Structs are the JWS payload, the JSON a verifier finds after checking the signature.
"""

from __future__ import annotations

import enum
from typing import Any

import msgspec

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
DID_CONTEXT = "https://www.w3.org/ns/did/v1"
CID_CONTEXT = "https://www.w3.org/ns/cid/v1"
VC_JWT_MEDIA_TYPE = "application/vc+jwt"


class StatusPurpose(str, enum.Enum):
    """What a set bit means in a status list (W3C Bitstring Status List v1.0)."""

    REVOCATION = "revocation"
    SUSPENSION = "suspension"


class Jsonld(msgspec.Struct, kw_only=True, omit_defaults=True, rename={"context": "@context"}):
    """A JSON-LD document: its ``@context`` first."""

    context: list[str]


class IssuerProfile(msgspec.Struct, kw_only=True):
    """An Open Badges ``Profile``: the issuer (its id a DID that resolves to its keys), or a certificate's issuing body."""

    id: str
    name: str
    type: list[str] = msgspec.field(default_factory=lambda: ["Profile"])


class Criteria(msgspec.Struct, kw_only=True):
    narrative: str


class ResultDescription(msgspec.Struct, kw_only=True):
    """One result an achievement reports (here: hours of one kind of training)."""

    id: str
    name: str
    resultType: str = "RawScore"
    type: list[str] = msgspec.field(default_factory=lambda: ["ResultDescription"])


class Result(msgspec.Struct, kw_only=True):
    resultDescription: str
    value: str
    type: list[str] = msgspec.field(default_factory=lambda: ["Result"])


class Achievement(msgspec.Struct, kw_only=True, omit_defaults=True):
    """What was achieved: a certificate (``License``) or a year's required training (``Course``)."""

    id: str
    achievementType: str
    name: str
    description: str
    criteria: Criteria
    creator: IssuerProfile | None = None
    resultDescription: list[ResultDescription] = []
    type: list[str] = msgspec.field(default_factory=lambda: ["Achievement"])


class IdentityObject(msgspec.Struct, kw_only=True):
    """How the holder is named (plain, not hashed: the holder carries the credential)."""

    identityHash: str
    identityType: str = "name"
    hashed: bool = False
    type: str = "IdentityObject"


class AchievementSubject(msgspec.Struct, kw_only=True, omit_defaults=True):
    id: str
    achievement: Achievement
    identifier: list[IdentityObject] = []
    result: list[Result] = []
    type: list[str] = msgspec.field(default_factory=lambda: ["AchievementSubject"])


class StatusEntry(msgspec.Struct, kw_only=True):
    """A ``BitstringStatusListEntry``: the index of this credential in a published status list."""

    id: str
    type: str
    statusPurpose: StatusPurpose
    statusListIndex: str
    statusListCredential: str


class AchievementCredential(Jsonld, kw_only=True, omit_defaults=True):
    """A certificate or a year's training record as an Open Badges 3.0 ``AchievementCredential``."""

    id: str
    type: list[str]
    name: str
    issuer: IssuerProfile
    validFrom: str
    credentialSubject: AchievementSubject
    validUntil: str | None = None
    credentialStatus: list[StatusEntry] = []


class StatusListSubject(msgspec.Struct, kw_only=True):
    id: str
    type: str
    statusPurpose: StatusPurpose
    encodedList: str
    """Multibase 'u' + base64url (no padding) of the GZIP-compressed bitstring; bit 0 is the first byte's high bit."""


class StatusListCredential(Jsonld, kw_only=True, omit_defaults=True):
    """A ``BitstringStatusListCredential``: one purpose's bits for every certificate, signed by the issuer."""

    id: str
    type: list[str]
    issuer: str
    validFrom: str
    validUntil: str
    credentialSubject: StatusListSubject


class VerificationMethod(msgspec.Struct, kw_only=True):
    """One issuer key: ``<did>#<key id>``, the ``kid`` of the credentials it signed."""

    id: str
    type: str
    controller: str
    publicKeyJwk: dict[str, Any]


class DidDocument(Jsonld, kw_only=True):
    """The issuer's ``did:web`` document (``/.well-known/did.json``): every issuer key, newest last."""

    id: str
    verificationMethod: list[VerificationMethod]
    assertionMethod: list[str]
