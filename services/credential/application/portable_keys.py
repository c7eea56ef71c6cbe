"""The issuer's keys: generated on the first export, published in the DID document, newest signs."""

from __future__ import annotations

import json
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from eventsourcing.persistence import IntegrityError

from services.credential.badges import cose
from services.credential.badges.keystore import KeyStore, key_dir_of
from services.credential.domain.issuer_key import ALGORITHM, IssuerKey
from services.credential.portable.securing import public_jwk
from shared.application import ServiceApplication
from shared.errors import NotFound

ISSUER_KEY_SUBDIR = "issuer"


class IssuerKeys:
    """Issuer keys as events (public halves) and PEM files (private halves, ``<badge key dir>/issuer``)."""

    def __init__(self, app: ServiceApplication):
        self.app = app
        self.key_store = KeyStore(key_dir_of(app.settings) / ISSUER_KEY_SUBDIR)

    def published(self) -> list[Any]:
        """Every issuer key (generation, kid, public JWK), oldest first."""
        self.app.projector.catch_up("portable")
        rows = self.app.store.query("SELECT generation, kid, public_jwk FROM portable_issuer_keys ORDER BY generation")
        return [{"generation": int(r["generation"]), "kid": r["kid"], "jwk": json.loads(r["public_jwk"])} for r in rows]

    def signing(self) -> tuple[str, cose.PrivateKey]:
        """The newest key's id and private half (404 ``no_issuer_key`` before any credential was exported)."""
        keys = self.published()
        if not keys:
            raise NotFound("no portable credential has been issued yet: the issuer has no key",
                           code="no_issuer_key")
        kid = keys[-1]["kid"]
        return kid, self.key_store.load(kid)

    def ensure(self, actor: dict[str, Any]) -> None:
        """Generate the first key if there is none (a replica that loses the race uses the winner's)."""
        if self.published():
            return
        self.generate(actor, generation=1)

    def generate(self, actor: dict[str, Any], *, generation: int | None = None) -> str:
        """A new issuer key: it signs from now on; the older ones stay published for what they signed."""
        if generation is None:
            generation = len(self.published()) + 1
        private_key = ec.generate_private_key(ec.SECP256R1())
        kid = self.key_store.save(private_key)
        key = IssuerKey(generation=generation, kid=kid, algorithm=ALGORITHM, public_jwk=public_jwk(private_key),
                        actor=actor)
        try:
            self.app.save_and_project(key)
        except IntegrityError:
            self.key_store.path(kid).unlink(missing_ok=True)  # another replica generated this generation first
            self.app.projector.catch_up()
        return kid
