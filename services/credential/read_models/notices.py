"""The notice outbox: subscriptions and the notices each subscriber is owed, projected from the log.

Each notice is written once per subscriber, under a webhook id derived from the subscriber, the
notice's type and its subject, so a notice raised twice (a district subscriber sees the same
certificate through two nurseries, a pass that is run again) is still one delivery, and a
receiver can dedupe on the id. ``webhook_pending`` is the work queue of the deliverer: a notice
enters it here unless the delivery log (``webhook_attempts``, which no rebuild touches) says it
was delivered or given up, so rebuilding this read model never sends anything twice.

Extension point: a new kind of notice (inspection findings falling due, say) is a new handler
here that calls ``raise_notice`` with its own type and subject (for a time-based one, a source in
``application/notice_sources.py`` the daily pass asks), plus its type in ``contracts.notices.NoticeType``.
"""

from __future__ import annotations

from typing import Any

import msgspec

from contracts.notices import WebhookMessage
from services.credential.domain.badges import Badge
from services.credential.domain.notices import NoticePass, Subscription, webhook_id_for
from shared.persistence import Cursor
from shared.projection import Projection, Projector, handles

_encoder = msgspec.json.Encoder()


class NoticeProjector(Projector):
    """A projector with its own position, so notices need no change to the service's projections."""

    NAME = "notices"


ATTEMPTS_DDL = [
    # The delivery log: one row per attempt, inserted and never changed (not a projection: it records
    # what receivers answered, which no event says; a rebuild of the outbox leaves it as it is).
    "CREATE TABLE IF NOT EXISTS webhook_attempts ("
    " webhook_id TEXT NOT NULL, attempt INTEGER NOT NULL, at TEXT NOT NULL, status_code INTEGER, error TEXT,"
    " duration_ms INTEGER NOT NULL, delivered BOOLEAN NOT NULL, final BOOLEAN NOT NULL,"
    " PRIMARY KEY (webhook_id, attempt))",
    "CREATE TABLE IF NOT EXISTS webhook_lease ("
    " name TEXT PRIMARY KEY, holder TEXT NOT NULL, until TEXT NOT NULL)",
    "INSERT INTO webhook_lease (name, holder, until) VALUES ('deliver', '', '') ON CONFLICT (name) DO NOTHING",
]


def create_tables(projector: NoticeProjector) -> None:
    """The delivery log and lease (first: the outbox projection reads the log), then the outbox."""
    with projector.store.transaction(commit=True) as cur:
        for statement in ATTEMPTS_DDL:
            cur.execute(statement)
    projector.create_tables()


class NoticeProjection(Projection):
    """Subscriptions, the badges' nurseries, and the outbox of notices per subscriber."""

    name = "notices"
    ddl = [
        "CREATE TABLE IF NOT EXISTS webhook_subscriptions ("
        " subscription_id TEXT PRIMARY KEY, nursery_id TEXT, url TEXT NOT NULL, types TEXT NOT NULL,"
        " description TEXT NOT NULL, salt TEXT NOT NULL, status TEXT NOT NULL, created_at TEXT NOT NULL,"
        " changed_at TEXT, ended_at TEXT)",
        "CREATE TABLE IF NOT EXISTS notice_badges ("
        " badge_id TEXT PRIMARY KEY, staff_id TEXT NOT NULL, nursery_id TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS webhook_outbox ("
        " webhook_id TEXT PRIMARY KEY, subscription_id TEXT NOT NULL, nursery_id TEXT, type TEXT NOT NULL,"
        " subject TEXT NOT NULL, payload TEXT NOT NULL, raised_at TEXT NOT NULL, position BIGINT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS webhook_outbox_by_subscription ON webhook_outbox (subscription_id, position)",
        "CREATE INDEX IF NOT EXISTS webhook_outbox_by_position ON webhook_outbox (position)",
        "CREATE TABLE IF NOT EXISTS webhook_pending (webhook_id TEXT PRIMARY KEY, due_at TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS webhook_pending_by_due ON webhook_pending (due_at)",
    ]
    tables = ["webhook_subscriptions", "notice_badges", "webhook_outbox", "webhook_pending"]

    # Subscriptions ----------------------------------------------------------------------------

    @handles(Subscription.Subscribed)
    def subscribed(self, cur: Cursor, e: Any, position: int) -> None:
        cur.execute(
            "INSERT INTO webhook_subscriptions (subscription_id, nursery_id, url, types, description, salt, status,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, 'active', ?)",
            (str(e.originator_id), e.nursery_id, e.url, ",".join(e.types), e.description, e.salt,
             e.timestamp.isoformat()),
        )

    @handles(Subscription.Changed)
    def changed(self, cur: Cursor, e: Any, position: int) -> None:
        cur.execute(
            "UPDATE webhook_subscriptions SET url = ?, types = ?, description = ?, changed_at = ?"
            " WHERE subscription_id = ?",
            (e.url, ",".join(e.types), e.description, e.timestamp.isoformat(), str(e.originator_id)),
        )

    @handles(Subscription.Ended)
    def ended(self, cur: Cursor, e: Any, position: int) -> None:
        cur.execute("UPDATE webhook_subscriptions SET status = 'ended', ended_at = ? WHERE subscription_id = ?",
                    (e.timestamp.isoformat(), str(e.originator_id)))

    # Notices from events ------------------------------------------------------------------------

    @handles(Badge.Issued)
    def badge_issued(self, cur: Cursor, e: Any, position: int) -> None:
        cur.execute("INSERT INTO notice_badges (badge_id, staff_id, nursery_id) VALUES (?, ?, ?)"
                    " ON CONFLICT (badge_id) DO NOTHING", (str(e.originator_id), e.staff_id, e.nursery_id))

    @handles(Badge.StatusChanged, Badge.CertificateStatusChanged)
    def badge_status_changed(self, cur: Cursor, e: Any, position: int) -> None:
        """A badge suspended or revoked, itself or through a certificate on it."""
        if e.status not in ("suspended", "revoked"):
            return
        badge_id = str(e.originator_id)
        row = cur.fetchone("SELECT staff_id, nursery_id FROM notice_badges WHERE badge_id = ?", (badge_id,))
        if row is None:
            return
        data: dict[str, Any] = {"badge_id": badge_id, "staff_id": row["staff_id"], "nursery_id": row["nursery_id"],
                                "status": e.status, "reason": e.reason, "name": _name(cur, row["staff_id"])}
        if isinstance(e, Badge.CertificateStatusChanged):
            data["certificate"] = {"type": e.cert_type, "number": e.number}
        raise_notice(cur, f"badge.{e.status}", f"badge:{badge_id}:{e.originator_version}", row["nursery_id"],
                     data, e.timestamp.isoformat(), position)

    # Time-based notices -------------------------------------------------------------------------

    @handles(NoticePass.Ran)
    def pass_ran(self, cur: Cursor, e: Any, position: int) -> None:
        for notice in e.notices:
            data = {**notice["data"], "staff_id": notice["staff_id"], "name": notice["name"],
                    "nursery_id": notice["nursery_id"]}
            raise_notice(cur, notice["type"], notice["subject"], notice["nursery_id"], data,
                         e.timestamp.isoformat(), position)


def raise_notice(cur: Cursor, notice_type: str, subject: str, nursery_id: str | None, data: dict[str, Any],
                 raised_at: str, position: int) -> None:
    """Put the notice in the outbox of every active subscription that wants it (once per subscription)."""
    subscriptions = cur.fetchall(
        "SELECT subscription_id, types FROM webhook_subscriptions WHERE status = 'active'"
        " AND (nursery_id IS NULL OR nursery_id = ?)", (nursery_id,),
    )
    payload = _encoder.encode(WebhookMessage(type=notice_type, timestamp=raised_at, data=data)).decode()
    for sub in subscriptions:
        if notice_type not in sub["types"].split(","):
            continue
        webhook_id = webhook_id_for(sub["subscription_id"], notice_type, subject)
        cur.execute(
            "INSERT INTO webhook_outbox (webhook_id, subscription_id, nursery_id, type, subject, payload, raised_at,"
            " position) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (webhook_id) DO NOTHING",
            (webhook_id, sub["subscription_id"], nursery_id, notice_type, subject, payload, raised_at, position),
        )
        # Due now, unless the delivery log says it is settled (delivered, or given up) already.
        cur.execute(
            "INSERT INTO webhook_pending (webhook_id, due_at) SELECT ?, ? WHERE NOT EXISTS"
            " (SELECT 1 FROM webhook_attempts WHERE webhook_id = ? AND (delivered OR final))"
            " ON CONFLICT (webhook_id) DO NOTHING",
            (webhook_id, raised_at, webhook_id),
        )


def _name(cur: Cursor, staff_id: str) -> str | None:
    row = cur.fetchone("SELECT name FROM staff WHERE staff_id = ?", (staff_id,))
    return row["name"] if row is not None else None
