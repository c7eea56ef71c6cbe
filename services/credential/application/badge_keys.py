"""Badge signing keys: generate, activate, rotate; the trust list that publishes them.

The trust anchor (purpose ``anchor``) signs only trust lists; verifiers pin its public key.
Badge keys (purpose ``badge``) sign badges and status lists; exactly one is active. A
retired key stays in the trust list until the last badge it signed has expired.

The anchor rotates with ``rotate_anchor``: the outgoing anchor signs an ``AnchorHandover``
naming the new one, which every later trust list carries, so verifiers that pinned any earlier
anchor follow the chain and re-pin by themselves (``lists.TrustList.parse``).
"""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import serialization

from services.credential.badges import cose
from services.credential.domain.badges import SigningKey, signing_key_id_for
from services.credential.badges.keystore import KeyStore
from services.credential.badges.lists import AnchorHandover, TrustedKey, TrustList
from services.credential.read_models.badges import BadgeProjector
from shared.application import ServiceApplication
from shared.errors import Conflict, Invalid, NotFound

ISSUER = "310116"
"""The CWT issuer: the administrative division code of Jinshan District, Shanghai."""
TRUST_LIST_DAYS = 7
BADGE, ANCHOR = "badge", "anchor"


@dataclass(frozen=True)
class KeyInfo:
    """A signing key as listed: never its private half."""

    kid: str
    purpose: str
    algorithm: str
    generated_at: str
    activated_at: str | None
    retired_at: str | None
    valid_until: str | None
    public_key_pem: str


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _ts(iso: str | None) -> int | None:
    return int(dt.datetime.fromisoformat(iso).timestamp()) if iso else None


class BadgeKeys:
    """Key lifecycle as events on ``SigningKey`` aggregates; private keys only in the key store."""

    def __init__(self, app: ServiceApplication, key_store: KeyStore, projector: BadgeProjector):
        self.app = app
        self.key_store = key_store
        self.projector = projector

    # Commands ----------------------------------------------------------------------------------

    def generate(self, *, purpose: str = BADGE, algorithm: str = "ES256", activate: bool, actor: dict[str, Any],
                 retire_previous: bool = False, now: dt.datetime | None = None) -> KeyInfo:
        """A new key in the key store, recorded (and activated, retiring the active one, if asked)."""
        if algorithm not in cose.SIGNING_ALGORITHMS:
            raise Invalid(f"algorithm must be one of {', '.join(cose.SIGNING_ALGORITHMS)}", field="algorithm")
        if purpose not in (BADGE, ANCHOR):
            raise Invalid("purpose must be 'badge' or 'anchor'", field="purpose")
        if purpose == ANCHOR and self._rows(purpose=ANCHOR) and not retire_previous:
            raise Conflict("a trust anchor exists already; verifiers have pinned it: rotate it instead",
                           code="anchor_exists")
        previous = self.active(purpose, required=False) if activate else None
        if previous is not None and not retire_previous:
            raise Conflict(f"key {previous.kid} is active; rotate instead", code="key_active")
        at = (now or _now()).isoformat()
        alg = cose.SIGNING_ALGORITHMS[algorithm]
        private_key = cose.generate_private_key(alg)
        kid = self.key_store.save(private_key)
        pem = private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode("ascii")
        key = SigningKey(kid=kid, purpose=purpose, algorithm=alg, public_key=pem, actor=actor)
        changed = [key]
        if activate:
            key.activate(at, actor)
            if previous is not None:
                old: SigningKey = self.app.repository.get(signing_key_id_for(previous.kid))
                if purpose == ANCHOR:  # the outgoing anchor vouches for its successor, then signs no more
                    statement = AnchorHandover(ISSUER, int(dt.datetime.fromisoformat(at).timestamp()),
                                               private_key.public_key()).sign(self.key_store.load(previous.kid))
                    old.hand_over(kid, at, base64.b64encode(statement).decode("ascii"), actor)
                    old.retire(at, at, actor)
                else:
                    old.retire(at, self._last_badge_expiry(previous.kid) or at, actor)
                changed.append(old)
        self.app.save(*changed)
        self.projector.catch_up()
        return self.key(kid)

    def rotate(self, *, algorithm: str = "ES256", actor: dict[str, Any], now: dt.datetime | None = None) -> KeyInfo:
        """A new active badge key; the old one is retired but trusted until its badges expire."""
        return self.generate(algorithm=algorithm, activate=True, retire_previous=True, actor=actor, now=now)

    def rotate_anchor(self, *, algorithm: str = "ES256", actor: dict[str, Any], now: dt.datetime | None = None) -> KeyInfo:
        """A new trust anchor, handed over to by the current one (whose private key must be at hand)."""
        current = self.anchor()
        assert current is not None
        if not self.key_store.has(current.kid):
            raise Conflict(f"the private key of the trust anchor {current.kid} is not in {self.key_store.directory}:"
                           " without it no handover can be signed, and verifiers must pin the new anchor by hand",
                           code="anchor_key_missing")
        return self.generate(purpose=ANCHOR, algorithm=algorithm, activate=True, retire_previous=True,
                             actor=actor, now=now)

    def handovers(self) -> list[bytes]:
        """Every signed anchor handover, oldest first."""
        self.projector.catch_up("badges")
        rows = self.app.store.query("SELECT statement FROM badge_anchor_handovers ORDER BY position")
        return [base64.b64decode(row["statement"]) for row in rows]

    def ensure(self, actor: dict[str, Any]) -> None:
        """A trust anchor and an active badge key exist (first start, or tests)."""
        if self.anchor(required=False) is None:
            self.generate(purpose=ANCHOR, activate=True, actor=actor)
        if self.active(BADGE, required=False) is None:
            self.generate(purpose=BADGE, activate=True, actor=actor)

    # Queries -----------------------------------------------------------------------------------

    def _rows(self, **where: str) -> list[Any]:
        self.projector.catch_up("badges")
        clause = " AND ".join(f"{k} = ?" for k in where) or "1 = 1"
        return self.app.store.query(
            "SELECT kid, purpose, algorithm, public_key, generated_at, activated_at, retired_at, valid_until"
            f" FROM badge_keys WHERE {clause} ORDER BY generated_at, kid",
            list(where.values()),
        )

    def _info(self, row: Any) -> KeyInfo:
        return KeyInfo(
            kid=row["kid"], purpose=row["purpose"], algorithm=cose.ALGORITHM_NAMES[int(row["algorithm"])],
            generated_at=row["generated_at"], activated_at=row["activated_at"], retired_at=row["retired_at"],
            valid_until=row["valid_until"], public_key_pem=row["public_key"],
        )

    def list(self) -> list[KeyInfo]:
        return [self._info(r) for r in self._rows()]

    def key(self, kid: str) -> KeyInfo:
        rows = self._rows(kid=kid)
        if not rows:
            raise NotFound(f"no signing key {kid}")
        return self._info(rows[0])

    def active(self, purpose: str = BADGE, *, required: bool = True) -> KeyInfo | None:
        live = [r for r in self._rows(purpose=purpose) if r["activated_at"] and not r["retired_at"]]
        if not live:
            if required:
                what = "trust anchor" if purpose == ANCHOR else "active badge signing key"
                raise Conflict(f"no {what}; run `carecred badge-keys generate`", code="no_signing_key")
            return None
        return self._info(max(live, key=lambda r: r["activated_at"]))

    def anchor(self, *, required: bool = True) -> KeyInfo | None:
        return self.active(ANCHOR, required=required)

    def private_key(self, kid: str) -> cose.PrivateKey:
        return self.key_store.load(kid)

    def anchor_public_key(self) -> cose.PublicKey:
        info = self.anchor()
        assert info is not None
        return serialization.load_pem_public_key(info.public_key_pem.encode())  # type: ignore[return-value]

    def _last_badge_expiry(self, kid: str) -> str | None:
        row = self.app.store.query_one("SELECT MAX(expires_at) AS last FROM badges WHERE kid = ?", (kid,))
        return row["last"] if row else None

    def trusted_keys(self) -> list[TrustedKey]:
        """Every activated badge key, parsed; a trust list takes those still valid at its time."""
        return [
            TrustedKey(
                kid=bytes.fromhex(row["kid"]), algorithm=int(row["algorithm"]),
                public_key=serialization.load_pem_public_key(row["public_key"].encode()),
                valid_from=_ts(row["activated_at"]) or 0, signs_until=_ts(row["retired_at"]),
                valid_until=_ts(row["valid_until"]),
            )
            for row in self._rows(purpose=BADGE)
            if row["activated_at"]
        ]

    def trust_list(self, now: dt.datetime | None = None, keys: list[TrustedKey] | None = None) -> TrustList:
        """The badge keys verifiers accept now: the active one, and retired ones whose badges live.

        ``keys`` are the ``trusted_keys()`` when the caller has them at hand (kept in memory).
        """
        at = int((now or _now()).timestamp())
        live = {
            key.kid: key for key in (self.trusted_keys() if keys is None else keys)
            if key.valid_until is None or key.valid_until >= at
        }
        return TrustList(issuer=ISSUER, issued_at=at, expires_at=at + TRUST_LIST_DAYS * 86400, keys=live)

    def signed_trust_list(self, now: dt.datetime | None = None) -> bytes:
        """The trust list as COSE_Sign1, signed by the trust anchor, with every anchor handover so far."""
        anchor = self.anchor()
        assert anchor is not None
        listed = self.trust_list(now)
        listed.handovers = self.handovers()
        return listed.sign(self.private_key(anchor.kid), cose.SIGNING_ALGORITHMS[anchor.algorithm])
