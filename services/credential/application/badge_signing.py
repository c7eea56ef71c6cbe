"""Issuing badges: sign the holder's facts with the active key and record the ``Badge``.

The caller (the lead's compliance check) decides *whether* a person may have a badge and
passes the holder's facts; this module only signs and records.
"""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

from eventsourcing.persistence import IntegrityError
from qrcode.exceptions import DataOverflowError

from contracts.badges import BadgeHolder, HolderView, IssuedBadge
from services.credential.badges import claims as badge_claims
from services.credential.badges import cose, holder, qr
from services.credential.domain.badges import Badge
from services.credential.application.badge_keys import ISSUER, BadgeKeys
from services.credential.badges.keystore import KeyStore
from services.credential.read_models.badges import BadgeProjector
from services.credential.badges.transport import wrap
from shared import idnumber
from shared.application import ServiceApplication
from shared.district import start_of_next_day
from shared.errors import Conflict, Invalid
from shared.settings import Settings

_ATTEMPTS = 8


def _qr_version(text: str) -> int:
    try:
        return qr.version(text)
    except (DataOverflowError, ValueError):  # qrcode 8 raises ValueError past version 40
        raise Invalid("too much for one QR code: show fewer certificates or roles", field="certificates",
                      code="badge_too_large") from None


def end_of_day(day: dt.date) -> dt.datetime:
    """A certificate is valid through its expiry date, Shanghai time (9999-12-31: for as long as time goes)."""
    if day >= dt.date.max - dt.timedelta(days=1):  # the next midnight, or its UTC time, is past datetime's range
        return dt.datetime.max.replace(tzinfo=dt.UTC)
    return start_of_next_day(day).astimezone(dt.UTC)


class BadgeIssuer:
    """Signs badges: ``issue(holder)`` returns the QR text, PNG and SVG and records the badge."""

    def __init__(self, app: ServiceApplication, key_store: KeyStore, settings: Settings, *,
                 keys: BadgeKeys, projector: BadgeProjector):
        self.app = app
        self.key_store = key_store
        self.settings = settings
        self.keys = keys
        self.projector = projector
        try:
            holder.check_iterations(settings.badge_holder_iterations)
        except ValueError as exc:
            raise SystemExit(f"CARECRED_BADGE_HOLDER_ITERATIONS: {exc}") from None

    def issue(self, facts: BadgeHolder, *, actor: dict[str, Any], id_number: str | None = None,
              id_hash: str | None = None, now: dt.datetime | None = None) -> IssuedBadge:
        """Sign and record a badge. With ``id_number`` (checked against ``id_hash``, the registry's
        keyed hash, when given) the badge carries the holder binding (人证合一) for offline checks."""
        if not facts.certificates:
            raise Invalid("a badge shows at least one certificate", field="certificates")
        canonical = self._canonical(id_number, id_hash)
        issued = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0)
        expires = min(issued + dt.timedelta(days=self.settings.badge_validity_days),
                      *(end_of_day(c.expires_on) for c in facts.certificates))
        if expires <= issued:
            raise Invalid("a certificate on the badge has expired", field="certificates", code="certificate_expired")
        key = self.keys.active()
        assert key is not None
        private_key = self.key_store.load(key.kid)
        for _ in range(_ATTEMPTS):
            index = self._next_index()
            salt = holder.salt_for(bytes.fromhex(key.kid), badge_claims.badge_id_for(index))
            binding = holder.bind(canonical, salt, self.settings.badge_holder_iterations) if canonical else None
            view = HolderView(
                badge_id=str(badge_claims.badge_id_for(index)), staff_id=facts.staff_id, name=facts.name,
                nursery_id=facts.nursery_id, nursery_name=facts.nursery_name,
                roles=list(facts.roles), certificates=list(facts.certificates), id_check=binding is not None,
            )
            claims = badge_claims.BadgeClaims(
                issuer=ISSUER, issued_at=int(issued.timestamp()), expires_at=int(expires.timestamp()),
                holder=view, status_index=index, binding=binding,
            )
            text = wrap(cose.sign1(badge_claims.encode(claims), private_key, bytes.fromhex(key.kid),
                                   cose.SIGNING_ALGORITHMS[key.algorithm]))
            version = _qr_version(text)
            badge = Badge(
                status_index=index, staff_id=facts.staff_id, nursery_id=facts.nursery_id, roles=list(facts.roles),
                certificates=[{"type": c.type, "number": c.number, "expires_on": c.expires_on.isoformat()}
                              for c in facts.certificates],
                kid=key.kid, issued_at=issued.isoformat(), expires_at=expires.isoformat(), actor=actor,
            )
            try:
                self.app.save(badge)
            except IntegrityError:
                continue  # another replica took this index: take the next one
            return IssuedBadge(
                badge_id=str(badge.id), staff_id=facts.staff_id, status_index=index, key_id=key.kid,
                issued_at=issued, expires_at=expires, qr_text=text, qr_version=version,
                png_base64=base64.b64encode(qr.png(text)).decode("ascii"), svg=qr.svg(text),
                id_check=binding is not None,
            )
        raise Conflict("could not allocate a status-list index; try again", code="busy")

    def _canonical(self, id_number: str | None, id_hash: str | None) -> str | None:
        if id_number is None:
            return None
        canonical = idnumber.canonical(id_number)
        key = getattr(self.app, "id_hash_key", None)
        if id_hash is not None and key is not None and idnumber.keyed_hash(canonical, key) != id_hash:
            raise Invalid("id_number is not the holder's ID number", field="id_number", code="id_number_mismatch")
        return canonical

    def _next_index(self) -> int:
        self.projector.catch_up("badges")
        row = self.app.store.query_one("SELECT MAX(status_index) AS top FROM badges")
        return int(row["top"]) + 1 if row and row["top"] is not None else 0
