"""Reading the statement store: one statement by id or voided id, or a filtered page with ``more``."""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from contracts.xapi import NotCountedPage, NotCountedStatement, parse_timestamp
from services.training.domain.year import utc_stamp
from services.training.read_models.statements import agent_key
from shared.application import ServiceApplication
from shared.errors import NotFound

MAX_PAGE = 200
"""Statements per page when the client asks for ``limit=0`` or more than this."""


@dataclass
class StatementQuery:
    """The filters of a GET of the Statements resource (already checked for form)."""

    agent: dict[str, Any] | None = None
    verb: str | None = None
    activity: str | None = None
    registration: str | None = None
    related_activities: bool = False
    related_agents: bool = False
    since: str | None = None
    until: str | None = None
    limit: int = 0
    ascending: bool = False
    after: int | None = None
    """The paging cursor: the position of the last statement of the previous page."""


@dataclass
class StatementPage:
    statements: list[dict[str, Any]]
    last_position: int | None
    """The position to continue after, when there are more; else None."""


def stamp_of(value: str) -> str:
    """An xAPI timestamp parameter as the sortable UTC stamp the store keeps."""
    return utc_stamp(parse_timestamp(value))


class XapiQueries:
    """Statements as a provider's platform reads them back: only its own."""

    def __init__(self, records: ServiceApplication):
        self.records = records

    def consistent_through(self) -> str:
        """The instant up to which every stored statement is in the store: now, once it has caught up."""
        self.records.projector.catch_up("xapi_statements")
        return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def statement(self, provider_id: UUID, statement_id: str, *, voided: bool) -> dict[str, Any]:
        """One statement: by ``statementId`` (not voided), or by ``voidedStatementId`` (voided); else 404."""
        self.records.projector.catch_up("xapi_statements")
        row = self.records.store.query_one(
            "SELECT body, voided FROM xapi_statements WHERE provider_id = ? AND statement_id = ?",
            (str(provider_id), statement_id),
        )
        if row is None or bool(row["voided"]) != voided:
            raise NotFound(f"no {'voided ' if voided else ''}statement {statement_id}")
        return json.loads(row["body"])

    def statements(self, provider_id: UUID, query: StatementQuery) -> StatementPage:
        """A page of the provider's statements matching the filters, newest stored first unless ascending."""
        self.records.projector.catch_up("xapi_statements")
        where = ["s.provider_id = ?", "s.voided = FALSE"]
        params: list[Any] = [str(provider_id)]
        if query.since is not None:
            where.append("s.stored > ?")
            params.append(stamp_of(query.since))
        if query.until is not None:
            where.append("s.stored <= ?")
            params.append(stamp_of(query.until))
        for kind, value, related in (("agent", agent_key(query.agent) if query.agent else None, query.related_agents),
                                     ("activity", query.activity, query.related_activities),
                                     ("verb", query.verb, False), ("registration", query.registration, False)):
            if value is None:
                continue
            direct = "" if related else " AND r.direct = TRUE"
            where.append("EXISTS (SELECT 1 FROM xapi_statement_refs r WHERE r.statement_key = s.statement_key"
                         f" AND r.kind = ? AND r.ref = ?{direct})")
            params += [kind, value]
        if query.after is not None:
            where.append("s.position > ?" if query.ascending else "s.position < ?")
            params.append(query.after)
        limit = query.limit if 0 < query.limit <= MAX_PAGE else MAX_PAGE
        order = "ASC" if query.ascending else "DESC"
        rows = self.records.store.query(
            f"SELECT s.position, s.body FROM xapi_statements s WHERE {' AND '.join(where)}"
            f" ORDER BY s.position {order} LIMIT ?", (*params, limit + 1),
        )
        more = len(rows) > limit
        rows = rows[:limit]
        return StatementPage([json.loads(r["body"]) for r in rows], rows[-1]["position"] if more else None)

    def attachments(self, provider_id: UUID, statements: list[dict[str, Any]]) -> dict[str, bytes]:
        """The stored content of the attachments these statements name, by SHA-256."""
        wanted = sorted({a["sha2"] for s in statements for a in s.get("attachments") or [] if "sha2" in a})
        found: dict[str, bytes] = {}
        for sha2 in wanted:
            row = self.records.store.query_one(
                "SELECT content FROM xapi_attachments WHERE provider_id = ? AND sha2 = ?", (str(provider_id), sha2))
            if row is not None:
                found[sha2] = base64.b64decode(row["content"])
        return found

    def not_counted(self, provider_id: UUID, after: int, limit: int) -> NotCountedPage:
        """The provider's stored statements that did not become completions, with the reason."""
        self.records.projector.catch_up("xapi_statements")
        rows = self.records.store.query(
            "SELECT position, statement_id, verb_id, object_id, stored, not_counted FROM xapi_statements"
            " WHERE provider_id = ? AND not_counted IS NOT NULL AND position > ? ORDER BY position LIMIT ?",
            (str(provider_id), after, limit + 1),
        )
        items = [NotCountedStatement(statement_id=r["statement_id"], verb=r["verb_id"], object_id=r["object_id"],
                                     stored=r["stored"], reason=r["not_counted"]) for r in rows[:limit]]
        return NotCountedPage(items=items, next_after=rows[limit - 1]["position"] if len(rows) > limit else None)
