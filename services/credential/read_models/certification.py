"""Read models of certificates, policy versions, assignments and the integrity record.

``certificates.facts`` holds what the compliance rule needs (validity dates and dated status
changes) as JSON, so a roster is: active assignments of one nursery (indexed), then the
certificates of those people (indexed by holder), judged in memory for the date asked about.
"""

from __future__ import annotations

import json
from typing import Any

import msgspec

from services.credential.domain.assignment import Assignment
from services.credential.domain.certificate import Certificate
from services.credential.domain.certificate_facts import STATUS_AFTER, facts_after
from services.credential.domain.compliance import CertificateFacts
from services.credential.domain.integrity import Violation
from services.credential.domain.policy import RolePolicy
from shared.persistence import Cursor
from shared.projection import Projection, handles

_facts_decoder = msgspec.json.Decoder(CertificateFacts)
NEVER = "9999-12-31"
"""The ``certificates.expires_on`` column of a certificate that never expires (the facts say None)."""


class CertificationProjection(Projection):
    """Certificates with their dated facts, policy versions, assignments and violations."""

    name = "certification"

    ddl = [
        "CREATE TABLE IF NOT EXISTS certificates ("
        " certificate_id TEXT PRIMARY KEY, cert_type TEXT NOT NULL, number TEXT NOT NULL,"
        " issuing_body TEXT NOT NULL, holder_id TEXT NOT NULL, issued_on TEXT NOT NULL,"
        " expires_on TEXT NOT NULL, status TEXT NOT NULL, facts TEXT NOT NULL, recorded_at TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS certificates_by_holder ON certificates (holder_id)",
        # Every expiry a certificate ever had, so "expiring soon as on D" finds it by index.
        "CREATE TABLE IF NOT EXISTS certificate_expiries ("
        " certificate_id TEXT NOT NULL, expires_on TEXT NOT NULL, PRIMARY KEY (certificate_id, expires_on))",
        "CREATE INDEX IF NOT EXISTS certificate_expiries_by_date ON certificate_expiries (expires_on)",
        # Each certificate's facts as recorded after every change, for queries "as recorded at" an instant.
        "CREATE TABLE IF NOT EXISTS certificate_facts_history ("
        " certificate_id TEXT NOT NULL, position BIGINT NOT NULL, holder_id TEXT NOT NULL, recorded_at TEXT NOT NULL,"
        " status TEXT NOT NULL, facts TEXT NOT NULL, PRIMARY KEY (certificate_id, position))",
        "CREATE INDEX IF NOT EXISTS certificate_facts_history_by_holder"
        " ON certificate_facts_history (holder_id, recorded_at)",
        "CREATE TABLE IF NOT EXISTS policy_versions ("
        " version INTEGER PRIMARY KEY, content TEXT NOT NULL, content_hash TEXT NOT NULL,"
        " note TEXT NOT NULL, adopted_at TEXT NOT NULL)",
        # Policy v2: the day each version adopted by ``Adopted.v2`` comes into force (a table of its own,
        # so stores that kept ``policy_versions`` before it existed need no change).
        "CREATE TABLE IF NOT EXISTS policy_in_force (version INTEGER PRIMARY KEY, effective_on TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS assignments ("
        " assignment_id TEXT PRIMARY KEY, staff_id TEXT NOT NULL, nursery_id TEXT NOT NULL, role TEXT NOT NULL,"
        " start_on TEXT NOT NULL, end_on TEXT, end_reason TEXT, policy_version INTEGER NOT NULL, made_at TEXT NOT NULL,"
        " ended_at TEXT)",
        "CREATE INDEX IF NOT EXISTS assignments_by_nursery ON assignments (nursery_id, start_on)",
        "CREATE INDEX IF NOT EXISTS assignments_by_staff ON assignments (staff_id)",
        "CREATE TABLE IF NOT EXISTS violations ("
        " violation_id TEXT PRIMARY KEY, staff_id TEXT NOT NULL, what TEXT NOT NULL, occurred_on TEXT NOT NULL,"
        " action TEXT NOT NULL, certificate_ids TEXT NOT NULL, recorded_at TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS violations_by_staff ON violations (staff_id, occurred_on)",
    ]
    tables = ["certificates", "certificate_expiries", "certificate_facts_history", "policy_versions", "policy_in_force",
              "assignments", "violations"]

    # Certificates ------------------------------------------------------------------------------

    @handles(Certificate.Issued, Certificate.IssuedV2)
    def issued(self, cur: Cursor, e: Any, position: int) -> None:
        cid = str(e.originator_id)
        facts = facts_after(None, e)
        cur.execute(
            "INSERT INTO certificates (certificate_id, cert_type, number, issuing_body, holder_id, issued_on,"
            " expires_on, status, facts, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'active', ?, ?)",
            (cid, e.cert_type, e.number, e.issuing_body, e.holder_id, e.issued_on, e.expires_on or NEVER,
             msgspec.json.encode(facts).decode(), e.timestamp.isoformat()),
        )
        if e.expires_on is not None:  # one that never expires is never "expiring soon"
            cur.execute("INSERT INTO certificate_expiries (certificate_id, expires_on) VALUES (?, ?)", (cid, e.expires_on))
        _remember(cur, facts, "active", e, position)

    @handles(Certificate.Renewed)
    def renewed(self, cur: Cursor, e: Any, position: int) -> None:
        cid = str(e.originator_id)
        facts = facts_after(self._facts(cur, cid), e)
        self._save(cur, cid, facts, expires_on=e.expires_on)
        status = cur.fetchone("SELECT status FROM certificates WHERE certificate_id = ?", (cid,))["status"]
        _remember(cur, facts, status, e, position)
        cur.execute(
            "INSERT INTO certificate_expiries (certificate_id, expires_on) VALUES (?, ?) ON CONFLICT DO NOTHING",
            (cid, e.expires_on),
        )

    @handles(Certificate.LevelRecorded)
    def level_recorded(self, cur: Cursor, e: Any, position: int) -> None:
        cid = str(e.originator_id)
        facts = facts_after(self._facts(cur, cid), e)
        self._save(cur, cid, facts)
        status = cur.fetchone("SELECT status FROM certificates WHERE certificate_id = ?", (cid,))["status"]
        _remember(cur, facts, status, e, position)

    @handles(Certificate.Suspended, Certificate.Reinstated, Certificate.Revoked)
    def status_changed(self, cur: Cursor, e: Any, position: int) -> None:
        cid = str(e.originator_id)
        status = STATUS_AFTER[type(e)]
        facts = facts_after(self._facts(cur, cid), e)
        self._save(cur, cid, facts, status=status)
        _remember(cur, facts, status, e, position)

    @staticmethod
    def _facts(cur: Cursor, certificate_id: str) -> CertificateFacts:
        row = cur.fetchone("SELECT facts FROM certificates WHERE certificate_id = ?", (certificate_id,))
        return _facts_decoder.decode(row["facts"])

    @staticmethod
    def _save(cur: Cursor, certificate_id: str, facts: CertificateFacts, **columns: str) -> None:
        sets = "".join(f", {name} = ?" for name in columns)
        cur.execute(
            f"UPDATE certificates SET facts = ?{sets} WHERE certificate_id = ?",
            (msgspec.json.encode(facts).decode(), *columns.values(), certificate_id),
        )

    # Policy --------------------------------------------------------------------------------------

    @handles(RolePolicy.Adopted, RolePolicy.AdoptedFrom)
    def policy_adopted(self, cur: Cursor, e: Any, position: int) -> None:
        cur.execute(
            "INSERT INTO policy_versions (version, content, content_hash, note, adopted_at) VALUES (?, ?, ?, ?, ?)",
            (e.policy_version, json.dumps(e.content, ensure_ascii=False), e.content_hash, e.note, e.timestamp.isoformat()),
        )
        if isinstance(e, RolePolicy.AdoptedFrom):
            cur.execute("INSERT INTO policy_in_force (version, effective_on) VALUES (?, ?)",
                        (e.policy_version, e.effective_on))

    # Assignments -----------------------------------------------------------------------------------

    @handles(Assignment.Made)
    def assignment_made(self, cur: Cursor, e: Any, position: int) -> None:
        cur.execute(
            "INSERT INTO assignments (assignment_id, staff_id, nursery_id, role, start_on, policy_version, made_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (str(e.originator_id), e.staff_id, e.nursery_id, e.role, e.start_on, e.policy_version, e.timestamp.isoformat()),
        )
        # An assignment makes the person visible to that nursery's HR.
        cur.execute(
            "INSERT INTO staff_nursery (staff_id, nursery_id, via) VALUES (?, ?, 'assigned') ON CONFLICT DO NOTHING",
            (e.staff_id, e.nursery_id),
        )

    @handles(Assignment.Ended)
    def assignment_ended(self, cur: Cursor, e: Any, position: int) -> None:
        cur.execute(
            "UPDATE assignments SET end_on = ?, end_reason = ?, ended_at = ? WHERE assignment_id = ?",
            (e.end_on, e.reason, e.timestamp.isoformat(), str(e.originator_id)),
        )

    # Integrity record ------------------------------------------------------------------------------

    @handles(Violation.Recorded)
    def violation_recorded(self, cur: Cursor, e: Any, position: int) -> None:
        cur.execute(
            "INSERT INTO violations (violation_id, staff_id, what, occurred_on, action, certificate_ids, recorded_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (str(e.originator_id), e.staff_id, e.what, e.occurred_on, e.action,
             json.dumps(e.certificate_ids), e.timestamp.isoformat()),
        )


def _remember(cur: Cursor, facts: CertificateFacts, status: str, e: Any, position: int) -> None:
    """Keep the facts as they stood after this event, with its recorded time."""
    cur.execute(
        "INSERT INTO certificate_facts_history (certificate_id, position, holder_id, recorded_at, status, facts)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (facts.certificate_id, position, facts.holder_id, e.timestamp.isoformat(), status,
         msgspec.json.encode(facts).decode()),
    )
