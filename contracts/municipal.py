"""The export to the municipal platform (上海市托育服务管理平台): staff, certificates, training totals, integrity records.

One JSON document (``MunicipalExport``, its schema in ``contracts/schemas/municipal.json``) and,
beside it, one CSV file per kind of record with the columns of that record's fields in order
(``municipal_csv_columns``). ID numbers appear only masked. An export is full (``since`` 0) or
holds what changed after ``since`` (this service's log) and ``training_since`` (the training
feed as received); ``through`` and ``training_through`` are where the next export starts.
"""

from __future__ import annotations

from typing import Union

import msgspec


class MunicipalStaff(msgspec.Struct, kw_only=True, tag="staff"):
    staff_id: str
    name: str
    id_masked: str
    """The resident ID number masked (e.g. 110***********002X): the raw number is never exported."""
    registered_at: str
    nursery_ids: list[str]
    """The nurseries the person is assigned at today."""


class MunicipalCertificate(msgspec.Struct, kw_only=True, tag="certificate"):
    certificate_id: str
    holder_id: str
    cert_type: str
    number: str
    issuing_body: str
    issued_on: str
    expires_on: str
    status: str
    """active, suspended or revoked"""


class MunicipalTraining(msgspec.Struct, kw_only=True, tag="training"):
    staff_id: str
    year: int
    skills_hours: float
    ethics_hours: float
    skills_required: float
    ethics_required: float
    complete: bool


class MunicipalIntegrity(msgspec.Struct, kw_only=True, tag="integrity"):
    violation_id: str
    staff_id: str
    what: str
    occurred_on: str
    action: str
    recorded_at: str


MunicipalRecord = Union[MunicipalStaff, MunicipalCertificate, MunicipalTraining, MunicipalIntegrity]
RECORD_TYPES = (MunicipalStaff, MunicipalCertificate, MunicipalTraining, MunicipalIntegrity)


class MunicipalExport(msgspec.Struct, kw_only=True):
    """One export: full, or the records changed since the given positions."""

    format: str
    """carecred-municipal/v1"""
    district: str
    generated_at: str
    full: bool
    since: int
    through: int
    training_since: int
    training_through: int
    records: list[MunicipalRecord]


def municipal_csv_columns(record_type: type) -> tuple[str, ...]:
    """The CSV columns of one kind of record: its fields in order (lists joined with ';')."""
    return record_type.__struct_fields__
