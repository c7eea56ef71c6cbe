"""Badges of one credential application: keys, signing, status, verifying, and certificate changes carried onto them.

``Credentials`` builds it once (its projector keeps its own position in the log).
"""

from __future__ import annotations

import datetime as dt
import hmac
from typing import Any, Iterable, Mapping
from uuid import UUID

import msgspec

from contracts.badges import HolderView, VerifyResult
from services.credential.application.badge_signing import BadgeIssuer
from services.credential.domain.certificate import Certificate
from services.credential.application.badge_keys import BadgeKeys
from services.credential.badges.keystore import KeyStore, key_dir_of
from services.credential.badges.lists import TrustedKey
from services.credential.read_models.badges import BadgeProjection, BadgeProjector
from services.credential.application.badge_statuses import BadgeStatuses, StatusBits
from services.credential.badges.verifier import Verifier
from shared import idnumber
from shared.application import ServiceApplication
from shared.cache import VersionedCache
from shared.persistence import startup_lock


class Badges:
    """Everything about badges that runs inside the credential service."""

    def __init__(self, app: ServiceApplication, id_hash_key: bytes):
        self.app = app
        self.id_hash_key = id_hash_key
        self.settings = app.settings
        self.key_store = KeyStore(key_dir_of(app.settings))
        self.projector = BadgeProjector(app, app.store, [BadgeProjection()])
        if app.settings.create_event_tables:  # else `carecred db migrate` created them (``create_tables``)
            with startup_lock(app.settings, app.service):  # replicas' first badge requests may coincide
                self.projector.create_tables()
        self.keys = BadgeKeys(app, self.key_store, self.projector)
        self.statuses = BadgeStatuses(app, self.keys, self.projector)
        self.issuer = BadgeIssuer(app, self.key_store, app.settings, keys=self.keys, projector=self.projector)
        self._lists: VersionedCache[tuple[list[TrustedKey], StatusBits]] = VersionedCache(max_entries=1)
        """The parsed badge keys and the status bits, while the badge read model's version holds."""
        self._nurseries: VersionedCache[str] = VersionedCache()
        """Each verified badge's nursery, likewise."""

    def verify(self, text: str, *, id_number: str | None = None, now: dt.datetime | None = None,
               versions: Mapping[str, int] | None = None) -> VerifyResult:
        """The online check: live trust list and status, the nursery id, and 人证合一 against the registry.

        ``versions``: the read models' versions the request was authenticated at (``request.auth``), read
        after everything the API acknowledged before it; without the badge version there, it is asked for.
        """
        at = now or dt.datetime.now(dt.UTC)
        name = BadgeProjection.version_name
        version = (versions if versions is not None and name in versions else self.projector.versions(name))[name]
        keys, bits = self._lists.get("lists", version, lambda: (self.keys.trusted_keys(), self.statuses.status_bits()))
        verifier = Verifier(self.keys.trust_list(at, keys), self.statuses.status_list(at, bits),
                            skew_seconds=self.settings.badge_clock_skew_seconds, source="online")
        result = verifier.verify(text, now=at, id_number=id_number, registry=self._registry_match)
        if result.holder is None:
            return result
        badge_id = result.holder.badge_id
        nursery_id = self._nurseries.get(badge_id, version, lambda: self._nursery_of(badge_id))
        if nursery_id is None:
            return result
        return msgspec.structs.replace(result, holder=msgspec.structs.replace(result.holder, nursery_id=nursery_id))

    def _nursery_of(self, badge_id: str) -> str | None:
        row = self.app.store.query_one("SELECT nursery_id FROM badges WHERE badge_id = ?", (badge_id,))
        return row["nursery_id"] if row is not None else None

    def _registry_match(self, holder: HolderView, typed: str) -> bool | None:
        """The registry's exact answer (keyed hash of the typed number against the holder's); None without an entry."""
        key = self.id_hash_key
        row = self.app.store.query_one(
            "SELECT s.id_hash FROM badges b JOIN staff s ON s.staff_id = b.staff_id WHERE b.badge_id = ?",
            (holder.badge_id,),
        )
        if row is None or not row["id_hash"]:
            return None
        try:
            return hmac.compare_digest(idnumber.keyed_hash(idnumber.normalise(typed), key), row["id_hash"])
        except idnumber.InvalidIdNumber:
            return False


    def create_tables(self) -> None:
        """The badge read model's tables (``carecred db migrate`` calls this as the owner)."""
        self.projector.create_tables()

    def badges_following(self, certificates: Iterable[Certificate], *, reason: str,
                         actor: dict[str, Any]) -> list[Any]:
        """The badges showing these certificates, with each certificate's new status recorded on them."""
        changed: dict[str, Any] = {}
        for certificate in certificates:
            for view in self.statuses.badges_with_certificate(certificate.number, certificate.cert_type):
                badge = changed.get(view.badge_id) or self.app.repository.get(UUID(view.badge_id))
                if badge.change_certificate_status(certificate.number, certificate.status, reason, actor,
                                                   cert_type=certificate.cert_type):
                    changed[view.badge_id] = badge
        return list(changed.values())

    def save_with_badges(self, *aggregates: Any, certificates: Iterable[Certificate], reason: str,
                         actor: dict[str, Any]) -> None:
        """Save a certificate change and its effect on badges in one transaction."""
        badges = self.badges_following(certificates, reason=reason, actor=actor)
        self.app.save_and_project(*aggregates, *badges, also=[self.projector] if badges else [])
