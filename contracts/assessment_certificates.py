"""Passed assessments (职业技能鉴定合格) as the registrar sees them, and issuing a certificate from one."""

from __future__ import annotations

from contracts.command import Command
from contracts.credentials import CertificateNumber
from contracts.dates import BusinessDate
from contracts.text import Note, Title

import msgspec


class PassedAssessment(msgspec.Struct, kw_only=True):
    """A pass published by the training service, and what the registrar did with it."""

    assessment_id: str
    staff_id: str
    provider_id: str
    assessment_type: str
    """The training service's type: ``nursery_worker`` (保育员) or ``infant_care`` (育婴员)."""
    cert_type: str | None
    """The policy v2 certificate type it issues (None: no certificate type is mapped to it)."""
    level: int
    """5 = 五级 (entry) up to 1 = 一级."""
    assessed_on: str
    held_level: int | None
    """The best (lowest) level of a certificate of ``cert_type`` the person holds, not revoked (None: none)."""
    already_held: bool
    """A certificate at this level or higher is held."""
    certificate_id: str | None
    """The certificate issued from this assessment (None: not yet)."""
    pending: bool
    """Nothing issued from it and nothing held at its level or higher: the registrar has work to do."""


class CertificateFromAssessment(Command, kw_only=True):
    """The certificate to record from a passed assessment: its number and issuing body as printed.

    Type, level and holder come from the assessment; ``issued_on`` defaults to the day assessed.
    """

    number: CertificateNumber
    issuing_body: Title
    issued_on: BusinessDate | None = None
    note: Note = ""
