"""Read models of badges and badge keys, kept by their own projector over the credential log."""

from __future__ import annotations

from typing import Any

from services.credential.domain.badges import Badge, SigningKey
from shared.persistence import Cursor
from shared.projection import Projection, Projector, handles


class BadgeProjector(Projector):
    """A projector with its own position, so badges need no change to the service's projections."""

    NAME = "badges"


class BadgeProjection(Projection):
    """Signing keys, badges, the certificates on each badge, and each badge's effective status."""

    name = "badges"

    ddl = [
        "CREATE TABLE IF NOT EXISTS badge_keys ("
        " kid TEXT PRIMARY KEY, key_uuid TEXT NOT NULL UNIQUE, purpose TEXT NOT NULL, algorithm INTEGER NOT NULL, public_key TEXT NOT NULL,"
        " generated_at TEXT NOT NULL, activated_at TEXT, retired_at TEXT, valid_until TEXT)",
        "CREATE TABLE IF NOT EXISTS badges ("
        " badge_id TEXT PRIMARY KEY, status_index BIGINT NOT NULL UNIQUE, staff_id TEXT NOT NULL,"
        " nursery_id TEXT NOT NULL, roles TEXT NOT NULL, kid TEXT NOT NULL, issued_at TEXT NOT NULL,"
        " expires_at TEXT NOT NULL, badge_status TEXT NOT NULL, status TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS badges_by_staff ON badges (staff_id)",
        # Certificate numbers are unique per type only (the same person's health worker and health
        # certificates may share one): a certificate on a badge is (type, number).
        "CREATE TABLE IF NOT EXISTS badge_certificates ("
        " badge_id TEXT NOT NULL, number TEXT NOT NULL, type TEXT NOT NULL, expires_on TEXT NOT NULL,"
        " status TEXT NOT NULL, PRIMARY KEY (badge_id, type, number))",
        "CREATE INDEX IF NOT EXISTS badge_certificates_by_number ON badge_certificates (number, type)",
        "CREATE TABLE IF NOT EXISTS badge_anchor_handovers ("
        " to_kid TEXT PRIMARY KEY, from_kid TEXT NOT NULL, handed_over_at TEXT NOT NULL, statement TEXT NOT NULL,"
        " position BIGINT NOT NULL)",
    ]
    tables = ["badge_keys", "badges", "badge_certificates", "badge_anchor_handovers"]
    version_name = "badges"  # online verification keeps the trust and status lists in memory while this holds
    schema = 2  # 2: badge_certificates keyed by (badge_id, type, number), was (badge_id, number)

    @handles(SigningKey.Generated)
    def key_generated(self, cur: Cursor, e: Any, position: int) -> None:
        cur.execute(
            "INSERT INTO badge_keys (kid, key_uuid, purpose, algorithm, public_key, generated_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (e.kid, str(e.originator_id), e.purpose, e.algorithm, e.public_key, e.timestamp.isoformat()),
        )

    @handles(SigningKey.Activated)
    def key_activated(self, cur: Cursor, e: Any, position: int) -> None:
        cur.execute("UPDATE badge_keys SET activated_at = ? WHERE key_uuid = ?", (e.activated_at, str(e.originator_id)))

    @handles(SigningKey.Retired)
    def key_retired(self, cur: Cursor, e: Any, position: int) -> None:
        cur.execute(
            "UPDATE badge_keys SET retired_at = ?, valid_until = ? WHERE key_uuid = ?",
            (e.retired_at, e.valid_until, str(e.originator_id)),
        )

    @handles(SigningKey.HandedOver)
    def anchor_handed_over(self, cur: Cursor, e: Any, position: int) -> None:
        cur.execute(
            "INSERT INTO badge_anchor_handovers (to_kid, from_kid, handed_over_at, statement, position)"
            " SELECT ?, kid, ?, ?, ? FROM badge_keys WHERE key_uuid = ?",
            (e.to_kid, e.handed_over_at, e.statement, position, str(e.originator_id)),
        )

    @handles(Badge.Issued)
    def badge_issued(self, cur: Cursor, e: Any, position: int) -> None:
        badge_id = str(e.originator_id)
        cur.execute(
            "INSERT INTO badges (badge_id, status_index, staff_id, nursery_id, roles, kid, issued_at, expires_at,"
            " badge_status, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'active', 'active')",
            (badge_id, e.status_index, e.staff_id, e.nursery_id, ",".join(e.roles), e.kid, e.issued_at, e.expires_at),
        )
        cur.executemany(
            "INSERT INTO badge_certificates (badge_id, number, type, expires_on, status) VALUES (?, ?, ?, ?, 'active')"
            " ON CONFLICT DO NOTHING",
            [(badge_id, c["number"], c["type"], c["expires_on"]) for c in e.certificates],
        )

    @handles(Badge.StatusChanged)
    def badge_status_changed(self, cur: Cursor, e: Any, position: int) -> None:
        cur.execute("UPDATE badges SET badge_status = ? WHERE badge_id = ?", (e.status, str(e.originator_id)))
        _refresh(cur, str(e.originator_id))

    @handles(Badge.CertificateStatusChanged)
    def certificate_status_changed(self, cur: Cursor, e: Any, position: int) -> None:
        if e.cert_type is None:  # recorded before events named the type: every certificate with the number
            cur.execute(
                "UPDATE badge_certificates SET status = ? WHERE badge_id = ? AND number = ?",
                (e.status, str(e.originator_id), e.number),
            )
        else:
            cur.execute(
                "UPDATE badge_certificates SET status = ? WHERE badge_id = ? AND type = ? AND number = ?",
                (e.status, str(e.originator_id), e.cert_type, e.number),
            )
        _refresh(cur, str(e.originator_id))


def _refresh(cur: Cursor, badge_id: str) -> None:
    """Effective status: revoked if the badge or any certificate on it is; then suspended; else active."""
    cur.execute(
        "UPDATE badges SET status = CASE"
        " WHEN badge_status = 'revoked' OR EXISTS (SELECT 1 FROM badge_certificates c"
        "   WHERE c.badge_id = badges.badge_id AND c.status = 'revoked') THEN 'revoked'"
        " WHEN badge_status = 'suspended' OR EXISTS (SELECT 1 FROM badge_certificates c"
        "   WHERE c.badge_id = badges.badge_id AND c.status = 'suspended') THEN 'suspended'"
        " ELSE 'active' END WHERE badge_id = ?",
        (badge_id,),
    )
