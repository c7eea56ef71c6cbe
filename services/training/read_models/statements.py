"""The statement store of the LRS: every provider's xAPI statements, rebuilt by replaying the log.

Besides each statement's stored JSON, the agents and activities it names are indexed (as
``Actor``/``Object`` or only as related, for ``related_agents``/``related_activities``), with its
verb and registration; a statement whose object is a StatementRef also carries its target's
(the spec: a query returns the statements targeting a statement it matches, the voiding one
included). A voiding statement marks its target voided.
"""

from __future__ import annotations

import json
from typing import Any, Iterator

from contracts.xapi import parse_timestamp
from services.training.domain.statement import Statement
from services.training.domain.year import utc_stamp
from shared.persistence import Cursor
from shared.projection import Projection, handles


def agent_key(agent: dict[str, Any]) -> str | None:
    """An agent's or identified group's identity (its inverse functional identifier), else None."""
    if "mbox" in agent:
        return "mbox:" + str(agent["mbox"]).lower()
    if "mbox_sha1sum" in agent:
        return "sha1:" + str(agent["mbox_sha1sum"]).lower()
    if "openid" in agent:
        return "openid:" + str(agent["openid"])
    account = agent.get("account")
    if isinstance(account, dict):
        return f"account:{account.get('homePage')}|{account.get('name')}"
    return None


def _agents(agent: Any) -> Iterator[str]:
    """The agent and, for a group, its members."""
    if not isinstance(agent, dict):
        return
    if key := agent_key(agent):
        yield key
    for member in agent.get("member") or []:
        if isinstance(member, dict) and (key := agent_key(member)):
            yield key


def references(statement: dict[str, Any], *, sub: bool = False) -> Iterator[tuple[str, str, bool]]:
    """(kind, reference, direct) for every agent and activity a statement names (direct: actor or object),
    and its verb and registration."""
    verb = statement.get("verb")
    if isinstance(verb, dict) and not sub:
        yield "verb", str(verb.get("id")), True
    for key in _agents(statement.get("actor")):
        yield "agent", key, not sub
    obj = statement.get("object") if isinstance(statement.get("object"), dict) else {}
    kind = obj.get("objectType", "Activity")
    if kind == "Activity":
        yield "activity", str(obj.get("id")), not sub
    elif kind in ("Agent", "Group"):
        for key in _agents(obj):
            yield "agent", key, not sub
    elif kind == "SubStatement" and not sub:
        yield from references(obj, sub=True)
    context = statement.get("context") if isinstance(statement.get("context"), dict) else {}
    if isinstance(context.get("registration"), str) and not sub:
        yield "registration", context["registration"].lower(), True
    for name in ("instructor", "team"):
        for key in _agents(context.get(name)):
            yield "agent", key, False
    groups = context.get("contextActivities") if isinstance(context.get("contextActivities"), dict) else {}
    for activities in groups.values():
        for activity in activities if isinstance(activities, list) else [activities]:
            if isinstance(activity, dict):
                yield "activity", str(activity.get("id")), False
    if not sub:
        for key in _agents(statement.get("authority")):
            yield "agent", key, False


class StatementStore(Projection):
    """Statements by provider and id, their stored order, what they name, and their attachments."""

    name = "xapi_statements"
    ddl = [
        "CREATE TABLE IF NOT EXISTS xapi_statements ("
        " statement_key TEXT PRIMARY KEY, provider_id TEXT NOT NULL, statement_id TEXT NOT NULL,"
        " position BIGINT NOT NULL, stored TEXT NOT NULL, body TEXT NOT NULL, verb_id TEXT NOT NULL,"
        " object_id TEXT, registration TEXT, voids TEXT, voided BOOLEAN NOT NULL,"
        " completion_id TEXT, not_counted TEXT, UNIQUE (provider_id, statement_id))",
        "CREATE INDEX IF NOT EXISTS xapi_statements_by_provider ON xapi_statements (provider_id, position)",
        "CREATE TABLE IF NOT EXISTS xapi_statement_refs ("
        " statement_key TEXT NOT NULL, kind TEXT NOT NULL, ref TEXT NOT NULL, direct BOOLEAN NOT NULL)",
        "CREATE INDEX IF NOT EXISTS xapi_statement_refs_by_ref ON xapi_statement_refs (kind, ref, statement_key)",
        "CREATE TABLE IF NOT EXISTS xapi_attachments ("
        " provider_id TEXT NOT NULL, sha2 TEXT NOT NULL, content TEXT NOT NULL, PRIMARY KEY (provider_id, sha2))",
    ]
    tables = ["xapi_statements", "xapi_statement_refs", "xapi_attachments"]

    @handles(Statement.Stored)
    def stored(self, cur: Cursor, e: Any, position: int) -> None:
        key = str(e.originator_id)
        try:
            body = json.loads(e.statement)
        except ValueError:  # total: a statement that is not JSON is still listed, by id
            body = {}
        if not isinstance(body, dict):
            body = {}
        verb = body.get("verb") if isinstance(body.get("verb"), dict) else {}
        obj = body.get("object") if isinstance(body.get("object"), dict) else {}
        context = body.get("context") if isinstance(body.get("context"), dict) else {}
        try:  # the stored time the statement itself says, so that since/until match what clients read
            stored = utc_stamp(parse_timestamp(str(body["stored"])))
        except (KeyError, ValueError):
            stored = utc_stamp(e.timestamp)
        cur.execute(
            "INSERT INTO xapi_statements (statement_key, provider_id, statement_id, position, stored, body, verb_id,"
            " object_id, registration, voids, voided, completion_id, not_counted)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, FALSE, ?, ?)",
            (key, e.provider_id, e.statement_id, position, stored, e.statement,
             str(verb.get("id", "")), obj.get("id") if isinstance(obj.get("id"), str) else None,
             context.get("registration") if isinstance(context.get("registration"), str) else None,
             e.voids, e.completion_id, e.not_counted),
        )
        refs = {(kind, ref, direct) for kind, ref, direct in references(body)}
        cur.executemany(
            "INSERT INTO xapi_statement_refs (statement_key, kind, ref, direct) VALUES (?, ?, ?, ?)",
            [(key, kind, ref, direct) for kind, ref, direct in sorted(refs)],
        )
        if obj.get("objectType") == "StatementRef":  # a statement about another matches the filters it matches
            cur.execute(
                "INSERT INTO xapi_statement_refs (statement_key, kind, ref, direct)"
                " SELECT ?, r.kind, r.ref, r.direct FROM xapi_statement_refs r JOIN xapi_statements t"
                " ON t.statement_key = r.statement_key WHERE t.provider_id = ? AND t.statement_id = ?",
                (key, e.provider_id, str(obj.get("id", "")).lower()),
            )
        if e.voids is not None:
            cur.execute(
                "UPDATE xapi_statements SET voided = TRUE WHERE provider_id = ? AND statement_id = ? AND voids IS NULL",
                (e.provider_id, e.voids),
            )
        for sha2, content in sorted(e.attachments.items()):
            cur.execute(
                "INSERT INTO xapi_attachments (provider_id, sha2, content) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                (e.provider_id, sha2, content),
            )
