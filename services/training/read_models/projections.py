"""Read models of the training service: catalogue, ledger entries with recorded times, known people.

Recorded and reversal times are stored as sortable UTC stamps, so "the ledger as on date D"
is a query (``recorded_at < end of D``), never a replay.
"""

from __future__ import annotations

import json
from typing import Any

from services.training.domain.assessment import Assessment, SubsidyPayment, claim_id_for
from services.training.domain.catalogue import Course, Provider
from services.training.domain.completion import Completion
from services.training.domain.delivery import Attendance, Session, Trainer
from services.training.domain.ledger import already_counted_reason
from services.training.domain.rules import TrainingRules
from services.training.domain.year import utc_stamp
from shared.persistence import Cursor, postgres_text
from shared.projection import Projection, handles


class CatalogueProjection(Projection):
    """Approved providers and their courses, withdrawn or not."""

    name = "catalogue"

    ddl = [
        "CREATE TABLE IF NOT EXISTS providers ("
        " provider_id TEXT PRIMARY KEY, code TEXT NOT NULL UNIQUE, name TEXT NOT NULL,"
        " approved_at TEXT NOT NULL, withdrawn_at TEXT, withdrawn_reason TEXT)",
        "CREATE TABLE IF NOT EXISTS courses ("
        " course_id TEXT PRIMARY KEY, provider_id TEXT NOT NULL, code TEXT NOT NULL, title TEXT NOT NULL,"
        " category TEXT NOT NULL, topic TEXT NOT NULL, half_hours INTEGER NOT NULL, available_from TEXT NOT NULL,"
        " catalogued_at TEXT NOT NULL, withdrawn_at TEXT, withdrawn_reason TEXT, UNIQUE (provider_id, code))",
    ]
    tables = ["providers", "courses"]
    version_name = "catalogue"  # posting keeps a provider's catalogue in memory while this has not moved

    @handles(Provider.Approved)
    def provider_approved(self, cur: Cursor, e: Any, position: int) -> None:
        cur.execute(
            "INSERT INTO providers (provider_id, code, name, approved_at) VALUES (?, ?, ?, ?)",
            (str(e.originator_id), e.code, e.name, utc_stamp(e.timestamp)),
        )

    @handles(Provider.Withdrawn)
    def provider_withdrawn(self, cur: Cursor, e: Any, position: int) -> None:
        cur.execute(
            "UPDATE providers SET withdrawn_at = ?, withdrawn_reason = ? WHERE provider_id = ?",
            (utc_stamp(e.timestamp), e.reason, str(e.originator_id)),
        )

    @handles(Course.Catalogued)
    def course_catalogued(self, cur: Cursor, e: Any, position: int) -> None:
        cur.execute(
            "INSERT INTO courses (course_id, provider_id, code, title, category, topic, half_hours,"
            " available_from, catalogued_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (str(e.originator_id), e.provider_id, e.code, e.title, e.category, e.topic, e.half_hours,
             e.available_from, utc_stamp(e.timestamp)),
        )

    @handles(Course.Withdrawn)
    def course_withdrawn(self, cur: Cursor, e: Any, position: int) -> None:
        cur.execute(
            "UPDATE courses SET withdrawn_at = ?, withdrawn_reason = ? WHERE course_id = ?",
            (utc_stamp(e.timestamp), e.reason, str(e.originator_id)),
        )


class LedgerProjection(Projection):
    """Every completion with its content, recorded time, counted-on-arrival decision and reversal.

    "Counted on arrival" is decided here, in log order, so two concurrent posts of the same
    course cannot both count: the later one finds the earlier one already recorded.
    """

    name = "ledger"
    ddl = [
        "CREATE TABLE IF NOT EXISTS completions ("
        " completion_id TEXT PRIMARY KEY, position BIGINT NOT NULL, provider_id TEXT NOT NULL,"
        " event_id TEXT NOT NULL, staff_id TEXT NOT NULL, course_id TEXT NOT NULL, course_code TEXT NOT NULL,"
        " category TEXT NOT NULL, half_hours INTEGER NOT NULL, completed_at TEXT NOT NULL, year INTEGER NOT NULL,"
        " replaces TEXT, recorded_at TEXT NOT NULL, counted BOOLEAN NOT NULL, reason TEXT,"
        " reversed_at TEXT, reversal_reason TEXT, replaced_by TEXT, reversed_position BIGINT)",
        "CREATE INDEX IF NOT EXISTS completions_by_person ON completions (staff_id, year, position)",
        "CREATE INDEX IF NOT EXISTS completions_by_provider ON completions (provider_id, position)",
        "CREATE INDEX IF NOT EXISTS completions_by_course ON completions (staff_id, course_id, year, position)",
        # How a completion was delivered, when its provider named it (see ``domain/delivery.py``).
        "CREATE TABLE IF NOT EXISTS completion_deliveries ("
        " completion_id TEXT PRIMARY KEY, session_id TEXT, session_code TEXT, mode TEXT, trainer_id TEXT,"
        " attendance_id TEXT)",
    ]
    tables = ["completions", "completion_deliveries"]

    _PENDING = "ledger.pending_inserts"
    _COLUMNS = ("completion_id", "position", "provider_id", "event_id", "staff_id", "course_id", "course_code",
                "category", "half_hours", "completed_at", "year", "replaces", "recorded_at", "counted", "reason")
    _KEYS_PER_QUERY = 300
    _COUNTED_ALREADY = (
        "WITH k (staff_id, course_id, year) AS (VALUES {values}) SELECT k.staff_id, k.course_id, k.year FROM k"
        " WHERE EXISTS (SELECT 1 FROM completions c WHERE c.staff_id = k.staff_id AND c.course_id = k.course_id"
        " AND c.year = k.year AND c.reversed_at IS NULL)"
    )

    @handles(Completion.Recorded)
    def recorded(self, cur: Cursor, e: Any, position: int) -> None:
        # Buffered: ``flush`` writes the batch's completions together, in log order.
        cur.memo.setdefault(self._PENDING, []).append((
            str(e.originator_id), position, e.provider_id, e.event_id, e.staff_id, e.course_id, e.course_code,
            e.category, e.half_hours, e.completed_at, e.year, e.replaces, utc_stamp(e.timestamp),
        ))

    @handles(Completion.Delivered)
    def delivered(self, cur: Cursor, e: Any, position: int) -> None:
        cur.execute(
            "INSERT INTO completion_deliveries (completion_id, session_id, session_code, mode, trainer_id, attendance_id)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (completion_id) DO NOTHING",
            (str(e.originator_id), e.session_id, e.session_code, e.mode, e.trainer_id, e.attendance_id),
        )

    @handles(Completion.Reversed)
    def reversed(self, cur: Cursor, e: Any, position: int) -> None:
        self.flush(cur)  # the completion (and any earlier insert) goes in first
        cur.execute(
            "UPDATE completions SET reversed_at = ?, reversal_reason = ?, replaced_by = ?, reversed_position = ?"
            " WHERE completion_id = ?",
            (utc_stamp(e.timestamp), e.reason, e.replaced_by, position, str(e.originator_id)),
        )

    def flush(self, cur: Cursor) -> None:
        """Write the buffered completions, each counted unless its course was already counted that year.

        A completion is not counted when one of the same person, course and year is recorded and not
        reversed: before this batch (one query per few hundred keys) or earlier in it (a reversal
        flushes first, so what is buffered follows every reversal before it).
        """
        pending = cur.memo.pop(self._PENDING, None)
        if not pending:
            return
        text = postgres_text if cur.is_postgres else str  # the keys as the database holds them
        taken = self._counted_already(cur, list(dict.fromkeys((text(row[4]), text(row[5]), row[10]) for row in pending)))
        rows = []
        for row in pending:
            key = (text(row[4]), text(row[5]), row[10])
            rows.append((*row, key not in taken, already_counted_reason(row[10]) if key in taken else None))
            taken.add(key)
        cur.insert_rows("completions", self._COLUMNS, rows)

    def _counted_already(self, cur: Cursor, keys: list[tuple[str, str, int]]) -> set[tuple[str, str, int]]:
        """Which of these (person, course, year) keys have a completion recorded and not reversed."""
        found: set[tuple[str, str, int]] = set()
        for start in range(0, len(keys), self._KEYS_PER_QUERY):
            chunk = keys[start:start + self._KEYS_PER_QUERY]
            statement = self._COUNTED_ALREADY.format(values=", ".join(["(?, ?, ?)"] * len(chunk)))
            found.update((r["staff_id"], r["course_id"], int(r["year"]))
                         for r in cur.fetchall(statement, [v for key in chunk for v in key]))
        return found


class KnownPeople(Projection):
    """People registered in the credential service, as learned from its public feed.

    Not projected from this service's own events: ``TrainingRecords.record_person`` writes it,
    in the transaction in which the feed follower records its position.
    """

    name = "people"
    ddl = [
        "CREATE TABLE IF NOT EXISTS people ("
        " staff_id TEXT PRIMARY KEY, id_hash TEXT NOT NULL UNIQUE, name TEXT NOT NULL, learned_at TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS person_nurseries ("
        " staff_id TEXT NOT NULL, nursery_id TEXT NOT NULL, PRIMARY KEY (staff_id, nursery_id))",
        # Assignments (role, first and last day) for pro-rating, with when this service learned them,
        # so a year's requirement "as on D" or at a feed position uses only what was known then.
        "CREATE TABLE IF NOT EXISTS person_assignments ("
        " assignment_id TEXT PRIMARY KEY, staff_id TEXT NOT NULL, nursery_id TEXT NOT NULL, role TEXT NOT NULL,"
        " starts_on TEXT NOT NULL, learned_at TEXT NOT NULL, ends_on TEXT, end_learned_at TEXT)",
        "CREATE INDEX IF NOT EXISTS person_assignments_by_staff ON person_assignments (staff_id)",
        # People whose assignments changed, queued by the follower for ``Restatements.publish_pending``
        # (a work queue, not a read model: emptied as their totals are restated on the feed).
        "CREATE TABLE IF NOT EXISTS requirement_changes (staff_id TEXT PRIMARY KEY, learned_at TEXT NOT NULL)",
    ]
    tables = ["people", "person_nurseries", "person_assignments"]
    from_own_events = False


class RulesProjection(Projection):
    """Every adopted training-rules version, with when and at which log position it was adopted."""

    name = "rules"
    ddl = [
        "CREATE TABLE IF NOT EXISTS training_rules ("
        " version INTEGER PRIMARY KEY, applies_from_year INTEGER NOT NULL, rules TEXT NOT NULL,"
        " pro_rata BOOLEAN NOT NULL, note TEXT NOT NULL, adopted_at TEXT NOT NULL, position BIGINT NOT NULL)",
    ]
    tables = ["training_rules"]

    @handles(TrainingRules.Adopted)
    def adopted(self, cur: Cursor, e: Any, position: int) -> None:
        cur.execute(
            "INSERT INTO training_rules (version, applies_from_year, rules, pro_rata, note, adopted_at, position)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (version) DO NOTHING",
            (e.version, e.applies_from_year, json.dumps({"default": e.default, "roles": e.roles}, sort_keys=True),
             bool(e.pro_rata), e.note, utc_stamp(e.timestamp), position),
        )


class DeliveryProjection(Projection):
    """Providers' trainers and their own trainings, sessions, and attendance at offline sessions."""

    name = "delivery"
    ddl = [
        "CREATE TABLE IF NOT EXISTS trainers ("
        " trainer_id TEXT PRIMARY KEY, provider_id TEXT NOT NULL, code TEXT NOT NULL, name TEXT NOT NULL,"
        " registered_at TEXT NOT NULL, UNIQUE (provider_id, code))",
        "CREATE TABLE IF NOT EXISTS trainer_trainings ("
        " trainer_id TEXT NOT NULL, title TEXT NOT NULL, organiser TEXT NOT NULL, completed_on TEXT NOT NULL,"
        " half_hours INTEGER NOT NULL, recorded_at TEXT NOT NULL, PRIMARY KEY (trainer_id, title, completed_on))",
        "CREATE TABLE IF NOT EXISTS sessions ("
        " session_id TEXT PRIMARY KEY, provider_id TEXT NOT NULL, code TEXT NOT NULL, course_id TEXT NOT NULL,"
        " course_code TEXT NOT NULL, mode TEXT NOT NULL, trainer_id TEXT NOT NULL, starts_on TEXT NOT NULL,"
        " ends_on TEXT NOT NULL, scheduled_at TEXT NOT NULL, UNIQUE (provider_id, code))",
        "CREATE TABLE IF NOT EXISTS attendance ("
        " attendance_id TEXT PRIMARY KEY, session_id TEXT NOT NULL, staff_id TEXT NOT NULL,"
        " signed_in_at TEXT NOT NULL, signed_in_by TEXT NOT NULL, badge_in TEXT NOT NULL, verdict_in TEXT NOT NULL,"
        " signed_out_at TEXT, signed_out_by TEXT, badge_out TEXT, verdict_out TEXT)",
        "CREATE INDEX IF NOT EXISTS attendance_by_session ON attendance (session_id, staff_id)",
    ]
    tables = ["trainers", "trainer_trainings", "sessions", "attendance"]

    @handles(Trainer.Registered)
    def trainer_registered(self, cur: Cursor, e: Any, position: int) -> None:
        cur.execute(
            "INSERT INTO trainers (trainer_id, provider_id, code, name, registered_at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (trainer_id) DO NOTHING",
            (str(e.originator_id), e.provider_id, e.code, e.name, utc_stamp(e.timestamp)),
        )

    @handles(Trainer.Trained)
    def trainer_trained(self, cur: Cursor, e: Any, position: int) -> None:
        cur.execute(
            "INSERT INTO trainer_trainings (trainer_id, title, organiser, completed_on, half_hours, recorded_at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (trainer_id, title, completed_on) DO NOTHING",
            (str(e.originator_id), e.title, e.organiser, e.completed_on, e.half_hours, utc_stamp(e.timestamp)),
        )

    @handles(Session.Scheduled)
    def session_scheduled(self, cur: Cursor, e: Any, position: int) -> None:
        cur.execute(
            "INSERT INTO sessions (session_id, provider_id, code, course_id, course_code, mode, trainer_id, starts_on,"
            " ends_on, scheduled_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (session_id) DO NOTHING",
            (str(e.originator_id), e.provider_id, e.code, e.course_id, e.course_code, e.mode, e.trainer_id,
             e.starts_on, e.ends_on, utc_stamp(e.timestamp)),
        )

    @handles(Attendance.SignedIn)
    def signed_in(self, cur: Cursor, e: Any, position: int) -> None:
        cur.execute(
            "INSERT INTO attendance (attendance_id, session_id, staff_id, signed_in_at, signed_in_by, badge_in,"
            " verdict_in) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (attendance_id) DO NOTHING",
            (str(e.originator_id), e.session_id, e.staff_id, e.scanned_at, e.trainer_id, e.badge, e.verdict),
        )

    @handles(Attendance.SignedOut)
    def signed_out(self, cur: Cursor, e: Any, position: int) -> None:
        cur.execute(
            "UPDATE attendance SET signed_out_at = ?, signed_out_by = ?, badge_out = ?, verdict_out = ?"
            " WHERE attendance_id = ?",
            (e.scanned_at, e.trainer_id, e.badge, e.verdict, str(e.originator_id)),
        )


class AssessmentProjection(Projection):
    """Assessment results, the subsidy claims they earned (the first pass per person, type and level,
    in log order) and each claim's payment events."""

    name = "assessments"
    ddl = [
        "CREATE TABLE IF NOT EXISTS assessments ("
        " assessment_id TEXT PRIMARY KEY, position BIGINT NOT NULL, provider_id TEXT NOT NULL, event_id TEXT NOT NULL,"
        " staff_id TEXT NOT NULL, certificate_type TEXT NOT NULL, level INTEGER NOT NULL, passed BOOLEAN NOT NULL,"
        " assessed_on TEXT NOT NULL, recorded_at TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS assessments_by_provider ON assessments (provider_id, position)",
        "CREATE TABLE IF NOT EXISTS subsidy_claims ("
        " claim_id TEXT PRIMARY KEY, staff_id TEXT NOT NULL, certificate_type TEXT NOT NULL, level INTEGER NOT NULL,"
        " provider_id TEXT NOT NULL, assessment_id TEXT NOT NULL, assessed_on TEXT NOT NULL,"
        " paid BOOLEAN NOT NULL, amount_fen INTEGER, reference TEXT, paid_on TEXT)",
        "CREATE INDEX IF NOT EXISTS subsidy_claims_by_provider ON subsidy_claims (provider_id, assessed_on)",
        "CREATE TABLE IF NOT EXISTS subsidy_events ("
        " claim_id TEXT NOT NULL, position BIGINT NOT NULL, topic TEXT NOT NULL, aggregate_id TEXT NOT NULL,"
        " recorded_at TEXT NOT NULL, PRIMARY KEY (claim_id, position))",
    ]
    tables = ["assessments", "subsidy_claims", "subsidy_events"]

    @handles(Assessment.Recorded)
    def recorded(self, cur: Cursor, e: Any, position: int) -> None:
        assessment_id, stamp = str(e.originator_id), utc_stamp(e.timestamp)
        cur.execute(
            "INSERT INTO assessments (assessment_id, position, provider_id, event_id, staff_id, certificate_type, level,"
            " passed, assessed_on, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (assessment_id) DO NOTHING",
            (assessment_id, position, e.provider_id, e.event_id, e.staff_id, e.certificate_type, e.level, bool(e.passed),
             e.assessed_on, stamp),
        )
        if not e.passed:
            return
        claim_id = str(claim_id_for(e.staff_id, e.certificate_type, e.level))
        if cur.fetchone("SELECT 1 AS found FROM subsidy_claims WHERE claim_id = ?", (claim_id,)) is not None:
            return  # the first pass of this type and level earned the claim
        cur.execute(
            "INSERT INTO subsidy_claims (claim_id, staff_id, certificate_type, level, provider_id, assessment_id,"
            " assessed_on, paid) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (claim_id, e.staff_id, e.certificate_type, e.level, e.provider_id, assessment_id, e.assessed_on, False),
        )
        self._trace(cur, claim_id, position, e, assessment_id, stamp)

    @handles(SubsidyPayment.Paid, SubsidyPayment.PaidAgain)
    def paid(self, cur: Cursor, e: Any, position: int) -> None:
        claim_id = str(e.originator_id)
        cur.execute("UPDATE subsidy_claims SET paid = ?, amount_fen = ?, reference = ?, paid_on = ? WHERE claim_id = ?",
                    (True, e.amount_fen, e.reference, e.paid_on, claim_id))
        self._trace(cur, claim_id, position, e, claim_id, utc_stamp(e.timestamp))

    @handles(SubsidyPayment.MarkedUnpaid)
    def unpaid(self, cur: Cursor, e: Any, position: int) -> None:
        claim_id = str(e.originator_id)
        cur.execute("UPDATE subsidy_claims SET paid = ?, amount_fen = NULL, reference = NULL, paid_on = NULL"
                    " WHERE claim_id = ?", (False, claim_id))
        self._trace(cur, claim_id, position, e, claim_id, utc_stamp(e.timestamp))

    @staticmethod
    def _trace(cur: Cursor, claim_id: str, position: int, e: Any, aggregate_id: str, stamp: str) -> None:
        cur.execute(
            "INSERT INTO subsidy_events (claim_id, position, topic, aggregate_id, recorded_at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (claim_id, position) DO NOTHING",
            (claim_id, position, type(e).TOPIC, aggregate_id, stamp),
        )
