"""The credentials' JSON: a certificate, a year's training, a status list; pure functions of their facts.

Dates of the district (issue and expiry days) are read in Asia/Shanghai: a certificate valid
until 2027-06-30 is valid until the end of that day there, so ``validUntil`` is the next
midnight, +08:00.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from uuid import NAMESPACE_URL, uuid5

from contracts.credentials import CertificateView, TrainingStatus
from contracts.portable import (
    OB_CONTEXT, VC_CONTEXT, Achievement, AchievementCredential, AchievementSubject, Criteria, IdentityObject,
    IssuerProfile, Result, ResultDescription, StatusEntry, StatusListCredential, StatusListSubject, StatusPurpose,
)

CREDENTIAL_NAMESPACE = uuid5(NAMESPACE_URL, "urn:carecred:portable-credential")
ISSUER_NAME = "金山区教育局 托育从业人员持证与培训登记 (Jinshan District Education Bureau, childcare workforce register)"
_DISTRICT = dt.timezone(dt.timedelta(hours=8))
ACHIEVEMENT_TYPES = ["VerifiableCredential", "AchievementCredential"]
STATUS_LIST_TYPES = ["VerifiableCredential", "BitstringStatusListCredential"]


@dataclass(frozen=True)
class Issuer:
    """Who signs, and where its status lists are published."""

    did: str
    base_url: str
    """The service's public URL, without a trailing slash."""

    def profile(self) -> IssuerProfile:
        return IssuerProfile(id=self.did, name=ISSUER_NAME)

    def status_list_url(self, purpose: StatusPurpose) -> str:
        return f"{self.base_url}/v1/credentials/status/{purpose.value}"


def start_of(day: str) -> str:
    """The first instant of a district date, as an RFC 3339 date-time."""
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(), _DISTRICT).isoformat()


def end_of(day: str) -> str:
    """The instant a district date ends (the next midnight)."""
    return start_of((dt.date.fromisoformat(day) + dt.timedelta(days=1)).isoformat())


def district_day(moment: dt.datetime) -> str:
    """The district date at an instant."""
    return moment.astimezone(_DISTRICT).date().isoformat()


def instant(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _urn(*parts: object) -> str:
    return f"urn:uuid:{uuid5(CREDENTIAL_NAMESPACE, '/'.join(str(p) for p in parts))}"


def _holder(staff_id: str, name: str) -> tuple[str, list[IdentityObject]]:
    return f"urn:uuid:{staff_id}", [IdentityObject(identityHash=name)]


def status_entries(issuer: Issuer, index: int) -> list[StatusEntry]:
    """One entry per purpose: the credential's bit in the revocation and in the suspension list."""
    return [
        StatusEntry(
            id=f"{issuer.status_list_url(purpose)}#{index}", type="BitstringStatusListEntry",
            statusPurpose=purpose, statusListIndex=str(index), statusListCredential=issuer.status_list_url(purpose),
        )
        for purpose in StatusPurpose
    ]


def certificate_credential(issuer: Issuer, certificate: CertificateView, *, holder_name: str, type_name: str,
                           status_index: int) -> AchievementCredential:
    """A certificate as an ``AchievementCredential`` (achievement type ``License``), valid until it expires."""
    subject_id, identifiers = _holder(certificate.holder_id, holder_name)
    achievement = Achievement(
        id=_urn("achievement", "certificate", certificate.cert_type),
        achievementType="License", name=type_name,
        description=f"{type_name} ({certificate.cert_type}) no. {certificate.number}, issued by {certificate.issuing_body}",
        criteria=Criteria(narrative=f"Holds the {type_name} issued by {certificate.issuing_body}, recorded in the"
                                    " district register (持证上岗)."),
        creator=IssuerProfile(id=_urn("issuing-body", certificate.issuing_body), name=certificate.issuing_body),
    )
    return AchievementCredential(
        context=[VC_CONTEXT, OB_CONTEXT],
        id=_urn("certificate", certificate.certificate_id, certificate.expires_on or "never"),
        type=ACHIEVEMENT_TYPES, name=f"{type_name} {certificate.number}", issuer=issuer.profile(),
        validFrom=start_of(certificate.issued_on), validUntil=end_of(certificate.expires_on) if certificate.expires_on else None,
        credentialSubject=AchievementSubject(id=subject_id, identifier=identifiers, achievement=achievement),
        credentialStatus=status_entries(issuer, status_index),
    )


def training_credential(issuer: Issuer, training: TrainingStatus, *, staff_id: str, holder_name: str,
                        now: dt.datetime) -> AchievementCredential:
    """A year's training as an ``AchievementCredential`` (``Course``): the hours earned against the requirement."""
    year = training.year
    base = _urn("achievement", "training", year)
    kinds = [("skills", "Comprehensive skills training hours (综合技能培训学时)", training.skills_hours,
              training.skills_required),
             ("ethics", "Professional ethics education hours (职业道德教育学时)", training.ethics_hours,
              training.ethics_required)]
    achievement = Achievement(
        id=base, achievementType="Course", name=f"Annual training {year} (年度培训)",
        description=f"Training of the calendar year {year} (Asia/Shanghai) from approved providers.",
        criteria=Criteria(narrative=f"At least {training.skills_required:g} class hours of comprehensive skills"
                                    f" training and {training.ethics_required:g} of professional ethics education"
                                    f" in {year}."),
        resultDescription=[
            *(ResultDescription(id=f"{base}#{kind}", name=name) for kind, name, _, _ in kinds),
            ResultDescription(id=f"{base}#status", name="Whether the year's requirement is met", resultType="Status"),
        ],
    )
    results = [Result(resultDescription=f"{base}#{kind}", value=f"{hours:g}") for kind, _, hours, _ in kinds]
    results.append(Result(resultDescription=f"{base}#status", value="Completed" if training.complete else "InProgress"))
    subject_id, identifiers = _holder(staff_id, holder_name)
    return AchievementCredential(
        context=[VC_CONTEXT, OB_CONTEXT],
        id=_urn("training", staff_id, year, training.updated_at),
        type=ACHIEVEMENT_TYPES, name=f"Annual training {year}", issuer=issuer.profile(), validFrom=instant(now),
        credentialSubject=AchievementSubject(id=subject_id, identifier=identifiers, achievement=achievement,
                                             result=results),
    )


def status_list_credential(issuer: Issuer, purpose: StatusPurpose, encoded_list: str, *, now: dt.datetime,
                           ttl: dt.timedelta) -> StatusListCredential:
    """The published list of one purpose; it stops being valid after ``ttl``, so verifiers fetch it again."""
    url = issuer.status_list_url(purpose)
    return StatusListCredential(
        context=[VC_CONTEXT], id=url, type=STATUS_LIST_TYPES, issuer=issuer.did,
        validFrom=instant(now), validUntil=instant(now + ttl),
        credentialSubject=StatusListSubject(id=f"{url}#list", type="BitstringStatusList", statusPurpose=purpose,
                                            encodedList=encoded_list),
    )
