"""PostgreSQL grants for an append-only application role (see docs/audit.md).

The role may INSERT and SELECT events, never UPDATE, DELETE or TRUNCATE them, and owns the
read-model tables (which it rebuilds freely). eventsourcing takes ``LOCK TABLE ... IN
EXCLUSIVE MODE`` on the events table to keep notification ids in commit order, and
PostgreSQL allows that lock only to a role with UPDATE, DELETE or TRUNCATE privilege; so
UPDATE is granted and a statement trigger refuses every UPDATE, DELETE and TRUNCATE with
SQLSTATE 42501 (insufficient_privilege). Only the table owner could disable that trigger.
"""

from __future__ import annotations

from typing import Any

from psycopg import sql



def grants_sql(schema: str, role: str, events_table: str, read_model_tables: list[str]) -> list[sql.Composed]:
    """The statements that make ``role`` an append-only writer of the events table ``schema.events_table``."""
    s, r, t = sql.Identifier(schema), sql.Identifier(role), sql.Identifier(events_table)
    seq = sql.Identifier(f"{events_table}_notification_id_seq")
    fn = sql.Identifier("carecred_events_append_only")
    statements = [
        sql.SQL("GRANT USAGE, CREATE ON SCHEMA {} TO {}").format(s, r),
        sql.SQL("REVOKE ALL ON {}.{} FROM {}").format(s, t, r),
        sql.SQL("GRANT SELECT, INSERT, UPDATE ON {}.{} TO {}").format(s, t, r),
        sql.SQL("GRANT USAGE, SELECT ON SEQUENCE {}.{} TO {}").format(s, seq, r),
        sql.SQL(
            "CREATE OR REPLACE FUNCTION {}.{}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
            " RAISE EXCEPTION 'permission denied for table %: events are append-only', TG_TABLE_NAME"
            " USING ERRCODE = 'insufficient_privilege'; END $$"
        ).format(s, fn),
        sql.SQL("DROP TRIGGER IF EXISTS {} ON {}.{}").format(fn, s, t),
        sql.SQL(
            "CREATE TRIGGER {} BEFORE UPDATE OR DELETE OR TRUNCATE ON {}.{} FOR EACH STATEMENT EXECUTE FUNCTION {}.{}()"
        ).format(fn, s, t, s, fn),
    ]
    statements += [sql.SQL("ALTER TABLE {}.{} OWNER TO {}").format(s, sql.Identifier(name), r)
                   for name in read_model_tables if name != events_table]
    return statements


def read_model_tables(conn: Any, schema: str, events_table: str) -> list[str]:
    """Every table of the schema except the events table (``conn``: a plain psycopg connection)."""
    rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s ORDER BY tablename", (schema,)).fetchall()
    return [name for (name,) in rows if name != events_table]
