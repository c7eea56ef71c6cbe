"""The portable credentials' read model: issuer keys, and a status-list index for every certificate.

Every certificate gets the next index when its ``Issued`` event is projected: the log's order
decides it, so a replay from the first event hands out the same indexes (``carecred replay``
compares them). Suspension and revocation events set the certificate's status here; the status
lists are read from these rows (``status_lists``), never changed by a request.
"""

from __future__ import annotations

import json
from typing import Any

from services.credential.domain.certificate import Certificate
from services.credential.domain.issuer_key import IssuerKey
from shared.persistence import Cursor
from shared.projection import Projection, handles


class PortableProjection(Projection):
    """Issuer keys (public halves) and each certificate's status-list index and status."""

    name = "portable"

    ddl = [
        "CREATE TABLE IF NOT EXISTS portable_issuer_keys ("
        " generation INTEGER PRIMARY KEY, kid TEXT NOT NULL UNIQUE, algorithm TEXT NOT NULL,"
        " public_jwk TEXT NOT NULL, generated_at TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS portable_status ("
        " certificate_id TEXT PRIMARY KEY, status_index BIGINT NOT NULL UNIQUE, status TEXT NOT NULL,"
        " suspended_until TEXT)",
    ]
    tables = ["portable_issuer_keys", "portable_status"]

    @handles(IssuerKey.Generated)
    def key_generated(self, cur: Cursor, e: Any, position: int) -> None:
        cur.execute(
            "INSERT INTO portable_issuer_keys (generation, kid, algorithm, public_jwk, generated_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (e.generation, e.kid, e.algorithm, json.dumps(e.public_jwk, sort_keys=True), e.timestamp.isoformat()),
        )

    @handles(Certificate.Issued, Certificate.IssuedV2)
    def certificate_issued(self, cur: Cursor, e: Any, position: int) -> None:
        top = cur.fetchone("SELECT MAX(status_index) AS top FROM portable_status")
        index = 0 if top is None or top["top"] is None else int(top["top"]) + 1
        cur.execute(
            "INSERT INTO portable_status (certificate_id, status_index, status) VALUES (?, ?, 'active')",
            (str(e.originator_id), index),
        )

    @handles(Certificate.Suspended)
    def suspended(self, cur: Cursor, e: Any, position: int) -> None:
        self._set(cur, e, "suspended", e.until)

    @handles(Certificate.Reinstated)
    def reinstated(self, cur: Cursor, e: Any, position: int) -> None:
        self._set(cur, e, "active", None)

    @handles(Certificate.Revoked)
    def revoked(self, cur: Cursor, e: Any, position: int) -> None:
        self._set(cur, e, "revoked", None)

    @staticmethod
    def _set(cur: Cursor, e: Any, status: str, until: str | None) -> None:
        cur.execute(
            "UPDATE portable_status SET status = ?, suspended_until = ? WHERE certificate_id = ?",
            (status, until, str(e.originator_id)),
        )
