"""A small district to run certification scenarios in: nurseries, people, certificates."""

from __future__ import annotations

import datetime as dt
import itertools

from contracts.credentials import NewAssignment, NewCertificate
from contracts.registry import NewNursery
from services.credential.application import Credentials
from shared.idnumber import make_valid

REGISTRAR = {"key_id": "registrar-key", "role": "registrar", "scope": None}
_numbers = itertools.count(1)
_people = itertools.count(1)


def nursery(app: Credentials, name: str, town: str = "朱泾镇", ownership: str = "public", kind: str = "nursery") -> str:
    view = app.registry.register_nursery(NewNursery(name=name, town=town, ownership=ownership, inclusive=True, kind=kind), REGISTRAR)
    return view.nursery_id


def person(app: Credentials, name: str, nursery_id: str | None = None) -> str:
    number = make_valid(f"31011619880512{next(_people) % 1000:03d}")
    return app.registry.register_staff(name=name, id_number=number, registered_by=nursery_id, actor=REGISTRAR).staff_id


def certificate(app: Credentials, holder: str, cert_type: str, issued_on: dt.date, expires_on: dt.date) -> str:
    data = NewCertificate(
        cert_type=cert_type, number=f"{cert_type.upper()}-{next(_numbers):06d}", issuing_body="上海市金山区教育局",
        issued_on=issued_on, expires_on=expires_on, holder_id=holder,
    )
    return app.certificates.issue_certificate(data, role="registrar", visible_to=None, actor=REGISTRAR).certificate_id


def assign(app: Credentials, staff_id: str, nursery_id: str, role: str, start_on: dt.date) -> str:
    data = NewAssignment(staff_id=staff_id, role=role, start_on=start_on)
    return app.assignments.assign(data, nursery_id=nursery_id, actor=REGISTRAR).assignment_id
