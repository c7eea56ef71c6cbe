"""A certificate's facts (``compliance.CertificateFacts``) folded from its events, one event at a time.

The one place that says how each certificate event changes what the compliance rule reads:
the certification read model stores the result after every event, and the fast test tier
(``tests/fast``) folds the same events held in memory.
"""

from __future__ import annotations

from typing import Any

import msgspec

from services.credential.domain.certificate import Certificate
from services.credential.domain.compliance import CertificateFacts, ExpiryChange, StatusChange

STATUS_AFTER: dict[type, str] = {
    Certificate.Issued: "active",
    Certificate.IssuedV2: "active",
    Certificate.Suspended: "suspended",
    Certificate.Reinstated: "active",
    Certificate.Revoked: "revoked",
}
"""The status a certificate has after each event that sets one (a renewal leaves it as it was)."""


def facts_after(facts: CertificateFacts | None, e: Any) -> CertificateFacts:
    """The facts after event ``e``, given the facts before it (None before the certificate was issued)."""
    if isinstance(e, Certificate.Issued):
        return CertificateFacts(
            certificate_id=str(e.originator_id), cert_type=e.cert_type, number=e.number, holder_id=e.holder_id,
            issued_on=e.issued_on, expiries=(ExpiryChange(e.issued_on, e.expires_on),),
        )
    if isinstance(e, Certificate.IssuedV2):
        return CertificateFacts(
            certificate_id=str(e.originator_id), cert_type=e.cert_type, number=e.number, holder_id=e.holder_id,
            issued_on=e.issued_on, expiries=(ExpiryChange(e.issued_on, e.expires_on),), level=e.level, result=e.result,
        )
    if facts is None:
        raise ValueError(f"{type(e).__qualname__} of certificate {e.originator_id} before it was issued")
    if isinstance(e, Certificate.LevelRecorded):  # what the certificate always said, now recorded
        return msgspec.structs.replace(facts, level=e.level)
    if isinstance(e, Certificate.Renewed):
        return msgspec.structs.replace(facts, expiries=(*facts.expiries, ExpiryChange(e.effective_on, e.expires_on)))
    change = StatusChange(on=e.effective_on, status=STATUS_AFTER[type(e)], until=getattr(e, "until", None))
    return msgspec.structs.replace(facts, changes=(*facts.changes, change))
