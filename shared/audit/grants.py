"""PostgreSQL: an owner that creates the tables, and an application role that can only append history.

``carecred db migrate`` runs as the owner (the role that owns the services' schemas) and
makes the role the services run as (``--app-role``):

* **events**: ``SELECT``, ``INSERT`` of the four columns eventsourcing writes (never a chosen
  ``notification_id``: a new event always lands after every committed one), ``USAGE`` of the
  notification-id sequence, and ``UPDATE`` only because PostgreSQL allows the ``LOCK TABLE ...
  IN EXCLUSIVE MODE`` that eventsourcing takes (to keep notification ids in commit order) only to
  a role holding ``UPDATE``, ``DELETE`` or ``TRUNCATE``; a statement trigger refuses every
  ``UPDATE``, ``DELETE`` and ``TRUNCATE`` with SQLSTATE 42501;
* **the audit tables** (Merkle leaves and nodes, checkpoints, the legacy seal, the time index):
  ``SELECT`` and ``INSERT`` only, and the same trigger;
* **every other read-model table**: ``SELECT, INSERT, UPDATE, DELETE`` (the projector keeps them);
* **the schema**: ``USAGE`` only. No ``CREATE``: the role cannot add objects that the owner's
  later statements might resolve to, and it owns nothing, so it can neither drop nor disable
  a trigger. The services then run with ``CARECRED_CREATE_EVENT_TABLES=false``.

The triggers are installed by every migrate, with or without an application role: they
also stop the owner's own mistakes (the owner, and only the owner, can disable them).
"""

from __future__ import annotations

from typing import Any

from psycopg import sql

APPEND_ONLY_TABLES = ("merkle_leaves", "merkle_nodes", "audit_checkpoints", "audit_legacy_seal", "aggregate_versions",
                      "webhook_attempts")
"""Tables the service only ever inserts into: history, what proves it, and the webhook delivery log."""

EVENT_COLUMNS = ("originator_id", "originator_version", "topic", "state")
TRIGGER_FUNCTION = "carecred_append_only"


def append_only_sql(schema: str, tables: list[str]) -> list[sql.Composed]:
    """A statement trigger on each table refusing UPDATE, DELETE and TRUNCATE, for every role."""
    s, fn = sql.Identifier(schema), sql.Identifier(TRIGGER_FUNCTION)
    statements = [sql.SQL(
        "CREATE OR REPLACE FUNCTION {}.{}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
        " RAISE EXCEPTION 'permission denied for table %: it is append-only', TG_TABLE_NAME"
        " USING ERRCODE = 'insufficient_privilege'; END $$"
    ).format(s, fn)]
    for table in tables:
        t = sql.Identifier(table)
        statements += [
            sql.SQL("DROP TRIGGER IF EXISTS carecred_events_append_only ON {}.{}").format(s, t),  # its older name
            sql.SQL("DROP TRIGGER IF EXISTS {} ON {}.{}").format(fn, s, t),
            sql.SQL("CREATE TRIGGER {} BEFORE UPDATE OR DELETE OR TRUNCATE ON {}.{}"
                    " FOR EACH STATEMENT EXECUTE FUNCTION {}.{}()").format(fn, s, t, s, fn),
        ]
    return statements


def grants_sql(schema: str, role: str, events_table: str, tables: list[str]) -> list[sql.Composed]:
    """The statements that make ``role`` an append-only writer of ``schema`` (``tables``: all of its tables)."""
    s, r, events = sql.Identifier(schema), sql.Identifier(role), sql.Identifier(events_table)
    columns = sql.SQL(", ").join(sql.Identifier(c) for c in EVENT_COLUMNS)
    statements = [
        sql.SQL("REVOKE ALL ON SCHEMA {} FROM {}").format(s, r),
        sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(s, r),
        sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA {} FROM {}").format(s, r),
        sql.SQL("REVOKE ALL ON ALL SEQUENCES IN SCHEMA {} FROM {}").format(s, r),
        sql.SQL("GRANT SELECT, UPDATE ON {}.{} TO {}").format(s, events, r),
        sql.SQL("GRANT INSERT ({}) ON {}.{} TO {}").format(columns, s, events, r),
        sql.SQL("GRANT USAGE ON SEQUENCE {}.{} TO {}").format(s, sql.Identifier(f"{events_table}_notification_id_seq"), r),
    ]
    for table in tables:
        if table == events_table:
            continue
        rights = "SELECT, INSERT" if table in APPEND_ONLY_TABLES else "SELECT, INSERT, UPDATE, DELETE"
        statements.append(sql.SQL("GRANT {} ON {}.{} TO {}").format(sql.SQL(rights), s, sql.Identifier(table), r))
    return statements


def protected_tables(events_table: str, tables: list[str]) -> list[str]:
    """The tables that get the append-only trigger: the events and the audit tables present."""
    return [events_table, *(t for t in APPEND_ONLY_TABLES if t in tables)]


def schema_tables(conn: Any, schema: str) -> list[tuple[str, str]]:
    """(table, owner) of every table of the schema (``conn``: a plain psycopg connection)."""
    rows = conn.execute("SELECT tablename, tableowner FROM pg_tables WHERE schemaname = %s ORDER BY tablename",
                        (schema,)).fetchall()
    return [(name, owner) for name, owner in rows]
