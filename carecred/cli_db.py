"""``carecred db migrate``: create or upgrade the services' tables as the owner, and set up the app role.

Run it as the database role that owns the services' schemas (the "owner"), before the
services start and after every upgrade; compose runs it as a one-shot service the others wait
for. It opens each service once with table creation on, which creates (or completes) every
table and seals the events stored before events were authenticated (``shared.audit.legacy``).
On PostgreSQL it then installs the append-only triggers and, given ``--app-role``, makes that
role an append-only writer (``shared.audit.grants``), creating it first if it does not exist
(with the password in ``CARECRED_APP_PASSWORD``, when the owner may create roles).
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from typing import Any

import msgspec
import psycopg
from psycopg import errors, sql

from carecred.services import SERVICES, open_application
from shared.audit.grants import append_only_sql, grants_sql, protected_tables, schema_tables
from shared.persistence import schema_name
from shared.settings import Settings


class MigrationRefused(Exception):
    """The database is not in a state this role can migrate; the message says what to do."""


def register(commands: Any) -> None:
    """Add ``db migrate`` to the ``carecred`` command."""
    db = commands.add_parser("db", help="database set-up, run as the owner of the schemas").add_subparsers(
        required=True, metavar="ACTION")
    migrate = db.add_parser("migrate", help="create or upgrade every table as the owner; make --app-role append-only")
    migrate.add_argument("--service", choices=[*SERVICES, "both"], default="both")
    migrate.add_argument("--app-role", help="PostgreSQL: the role the services run as (created if missing,"
                                            " with the password in CARECRED_APP_PASSWORD)")
    migrate.set_defaults(run=_migrate)


@dataclass
class Prepared:
    """One service's tables, created by the owner."""

    service: str
    schema: str
    events_table: str
    tables: list[str]
    authenticated_from: int


def prepare(service: str, settings: Settings) -> Prepared:
    """Open the service as the owner: every table is created, old events are sealed."""
    owner = msgspec.structs.replace(settings, create_event_tables=True)
    schema = schema_name(settings, service)
    if settings.uses_postgres:
        _check_owner(settings, schema)
    app = open_application(service, owner)
    try:
        events_table = app.recorder.events_table_name  # type: ignore[attr-defined]
        through = app.legacy.through or 0
    finally:
        app.close()
    tables: list[str] = []
    if settings.uses_postgres:
        with psycopg.connect(**settings.postgres_params(), autocommit=True) as conn:
            tables = [name for name, _ in schema_tables(conn, schema)]
    return Prepared(service, schema, events_table, tables, through + 1)


def _check_owner(settings: Settings, schema: str) -> None:
    """Refuse (with the fix) when tables of the schema belong to another role, as the old ``audit grants`` left them."""
    with psycopg.connect(**settings.postgres_params(), autocommit=True) as conn:
        me = conn.execute("SELECT current_user").fetchone()[0]
        superuser = conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()[0]
        others = sorted({owner for _, owner in schema_tables(conn, schema) if owner != me})
        if not others:
            return
        if superuser:
            for name, owner in schema_tables(conn, schema):
                if owner != me:
                    conn.execute(sql.SQL("ALTER TABLE {}.{} OWNER TO CURRENT_USER").format(
                        sql.Identifier(schema), sql.Identifier(name)))
            return
    raise MigrationRefused(
        f"tables of schema {schema} are owned by {', '.join(others)}, not by {me} (an earlier"
        f" `carecred audit grants` handed the read models to the app role); as a superuser, run"
        f" REASSIGN OWNED BY {', '.join(others)} TO {me} in this database, then migrate again")


def statements(prepared: Prepared, role: str | None) -> list[sql.Composed]:
    """The triggers (always) and the app role's grants (given a role) for one prepared service."""
    found = protected_tables(prepared.events_table, prepared.tables)
    result = append_only_sql(prepared.schema, found)
    if role:
        result += grants_sql(prepared.schema, role, prepared.events_table, prepared.tables)
    return result


def apply(settings: Settings, prepared: Prepared, role: str | None) -> None:
    """Run the statements in one transaction: the app role never sees half of its grants."""
    with psycopg.connect(**settings.postgres_params()) as conn, conn.transaction():
        for statement in statements(prepared, role):
            conn.execute(statement)


def ensure_role(settings: Settings, role: str, password: str | None) -> bool:
    """Create the app role if it does not exist (LOGIN, with ``password`` if given); True if created."""
    with psycopg.connect(**settings.postgres_params(), autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone():
            return False
        statement = sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role))
        if password:
            statement += sql.SQL(" PASSWORD {}").format(sql.Literal(password))
        try:
            conn.execute(statement)
        except errors.DuplicateObject:
            return False  # another migrate created it at the same moment
        except errors.InsufficientPrivilege:
            raise MigrationRefused(f"role {role} does not exist and this owner may not create roles:"
                                   f" create it (CREATE ROLE {role} LOGIN PASSWORD '...') and migrate again") from None
        return True


def _migrate(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    role = args.app_role
    if role and not settings.uses_postgres:
        print("error: --app-role is for PostgreSQL (SQLite has no roles: protect the data directory instead)",
              file=sys.stderr)
        return 2
    try:
        if role and ensure_role(settings, role, os.environ.get("CARECRED_APP_PASSWORD") or None):
            print(f"created role {role}")
        for service in (SERVICES if args.service == "both" else (args.service,)):
            prepared = prepare(service, settings)
            if settings.uses_postgres:
                apply(settings, prepared, role)
            what = f"; {role} may only append history" if role else ""
            print(f"{service}: {len(prepared.tables) or 'all'} tables ready; events authenticated from position"
                  f" {prepared.authenticated_from} on{what}")
    except MigrationRefused as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0
