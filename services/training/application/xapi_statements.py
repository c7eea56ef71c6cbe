"""Storing xAPI statements (PUT and POST of the Statements resource) and turning them into completions.

A request is checked whole before anything is stored (one bad statement refuses the batch, 400);
a statement id already stored for the provider with the same content is a no-op, with other
content a conflict (409). Statements that report a completion (``xapi_mapping.py``) are posted
through ``Posting`` with the statement id as the provider's event id, so the once-per-course
rule and the ledger are the JSON API's; a voiding statement reverses the completion of the
statement it voids through ``Corrections``. Then the statements are saved, each with its outcome.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from dataclasses import dataclass
from typing import Any, Mapping, Sequence
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from contracts.xapi import VOIDED, StatementInvalid, check_signature, check_statement
from services.training.application.catalogue import Catalogue
from services.training.application.corrections import Corrections
from services.training.application.posting import Posting, conflict_message
from services.training.application.xapi_mapping import completion_of
from services.training.domain.statement import Statement
from shared.application import ServiceApplication
from shared.errors import Conflict, NotFound
from shared.persistence import query_in

SIGNATURE = "http://adlnet.gov/expapi/attachments/signature"
LRS_FIELDS = ("stored", "authority", "version")
"""Fields the LRS sets itself: ignored when telling a repeated statement from a conflicting one."""


@dataclass
class Incoming:
    """A checked statement about to be stored."""

    statement: dict[str, Any]
    sent: dict[str, Any]


def authority_of(home_page: str, provider: Mapping[str, Any]) -> dict[str, Any]:
    """The authority the LRS writes on a provider's statements: the provider's account on the district's home page."""
    return {"objectType": "Agent", "name": provider["name"],
            "account": {"homePage": home_page, "name": f"provider:{provider['code']}"}}


def normalized(statement: dict[str, Any]) -> dict[str, Any]:
    """The statement as stored: each context activity kind as an array (the spec returns arrays)."""
    out = dict(statement)
    holders = [out]
    if out["object"].get("objectType") == "SubStatement":
        out["object"] = dict(out["object"])
        holders.append(out["object"])
    for holder in holders:
        if isinstance(holder.get("context"), dict):
            context = holder["context"] = dict(holder["context"])
            if isinstance(context.get("contextActivities"), dict):
                context["contextActivities"] = {k: v if isinstance(v, list) else [v]
                                                for k, v in context["contextActivities"].items()}
    return out


def same_statement(sent: dict[str, Any], stored: dict[str, Any]) -> bool:
    """Whether a statement sent again says what the stored one says (the LRS's own fields aside)."""
    mine = {k: v for k, v in sent.items() if k not in LRS_FIELDS}
    theirs = {k: v for k, v in stored.items() if k not in LRS_FIELDS}
    if "timestamp" not in mine:
        theirs.pop("timestamp", None)
    return mine == theirs


class XapiStatements:
    """A provider's learning platform stores statements; completions follow from them."""

    def __init__(self, records: ServiceApplication, catalogue: Catalogue, posting: Posting, corrections: Corrections):
        self.records = records
        self.catalogue = catalogue
        self.posting = posting
        self.corrections = corrections
        self.home_page = records.settings.district_home_page

    def store(
        self, provider_id: UUID, statements: Sequence[Any], attachments: Mapping[str, bytes], actor: dict[str, Any],
        *, version: str, statement_id: str | None = None,
    ) -> list[str]:
        """Store statements (all or none); their ids in order. ``statement_id``: the PUT's id."""
        provider, courses = self.catalogue.catalogue_rows(provider_id)
        if provider is None:
            raise NotFound(f"no provider with id {provider_id}")
        now = dt.datetime.now(dt.UTC)
        incoming = self._checked(statements, attachments, statement_id, provider, now, version)
        self.records.projector.catch_up("xapi_statements")
        stored = self._stored_rows(provider_id, [i.statement["id"] for i in incoming])
        new: list[Incoming] = []
        for item in incoming:
            row = stored.get(item.statement["id"])
            if row is None:
                new.append(item)
            elif not same_statement(item.sent, json.loads(row["body"])):
                raise Conflict(f"statement {item.statement['id']} is already stored with other content",
                               code="statement_conflict", field="id")
        voided = self._voided_targets(provider_id, new)
        aggregates = self._outcomes(provider_id, provider, courses, new, voided, attachments, actor)
        if aggregates:
            try:
                self.records.save_and_project(*aggregates)
            except IntegrityError:  # the same statements stored concurrently: answer as a retry would be
                return self.store(provider_id, statements, attachments, actor, version=version,
                                  statement_id=statement_id)
        return [i.statement["id"] for i in incoming]

    def _checked(
        self, statements: Sequence[Any], attachments: Mapping[str, bytes], statement_id: str | None,
        provider: Mapping[str, Any], now: dt.datetime, version: str,
    ) -> list[Incoming]:
        incoming: list[Incoming] = []
        ids: set[str] = set()
        wanted: set[str] = set()
        for index, raw in enumerate(statements):
            try:
                sent = normalized(check_statement(raw))
            except StatementInvalid as exc:
                where = f"[{index}]" if len(statements) > 1 else ""
                raise StatementInvalid(where + ("." if where and exc.field else "") + exc.field, exc.message) from None
            statement = dict(sent)
            if statement_id is not None:
                if "id" in sent and sent["id"].lower() != statement_id:
                    raise StatementInvalid("id", "differs from the statementId parameter")
                statement["id"] = statement_id
            statement["id"] = str(UUID(statement["id"])) if "id" in statement else str(uuid.uuid4())
            if statement["id"] in ids:
                raise StatementInvalid("id", f"statement {statement['id']} appears twice in one request")
            ids.add(statement["id"])
            stamp = now.isoformat(timespec="milliseconds").replace("+00:00", "Z")
            statement["stored"] = stamp
            statement.setdefault("timestamp", stamp)
            statement["authority"] = authority_of(self.home_page, provider)
            statement.setdefault("version", "1.0.0" if version.startswith("1.0") else "2.0.0")
            for attachment in statement.get("attachments") or []:
                if "fileUrl" not in attachment or attachment["sha2"] in attachments:
                    if attachment["sha2"] not in attachments:
                        raise StatementInvalid("attachments", f"no part carries attachment {attachment['sha2']}")
                    wanted.add(attachment["sha2"])
                if attachment["usageType"] == SIGNATURE:
                    if attachment["contentType"] != "application/octet-stream":
                        raise StatementInvalid("attachments", "a signature's contentType must be application/octet-stream")
                    if attachment["sha2"] in attachments:
                        check_signature(sent, attachments[attachment["sha2"]])
            incoming.append(Incoming(statement, {**sent, "id": statement["id"]}))
        if extra := set(attachments) - wanted:
            raise StatementInvalid("attachments", f"parts no statement names: {', '.join(sorted(extra))}")
        return incoming

    def _stored_rows(self, provider_id: UUID, statement_ids: Sequence[str]) -> dict[str, Any]:
        rows = query_in(
            self.records.store.query, "SELECT statement_id, body, voids, completion_id FROM xapi_statements"
            " WHERE provider_id = ? AND statement_id IN ({marks})", statement_ids, before=(str(provider_id),),
        )
        return {r["statement_id"]: r for r in rows}

    def _voided_targets(self, provider_id: UUID, new: Sequence[Incoming]) -> dict[str, Any]:
        """The statements the new voiding statements void (400 for a voiding statement as target)."""
        targets = [str(UUID(i.statement["object"]["id"])) for i in new if i.statement["verb"]["id"] == VOIDED]
        rows = self._stored_rows(provider_id, targets)
        batch = {i.statement["id"]: i for i in new}
        for target in targets:
            row, sent = rows.get(target), batch.get(target)
            if (row is not None and row["voids"] is not None) or (sent and sent.statement["verb"]["id"] == VOIDED):
                raise StatementInvalid("object.id", f"statement {target} is itself a voiding statement")
        return rows

    def _outcomes(
        self, provider_id: UUID, provider: Mapping[str, Any], courses: dict[str, Any], new: Sequence[Incoming],
        voided: Mapping[str, Any], attachments: Mapping[str, bytes], actor: dict[str, Any],
    ) -> list[Statement]:
        completions = []
        reasons: dict[str, str | None] = {}
        for item in new:
            if item.statement["verb"]["id"] == VOIDED:
                continue
            found = completion_of(item.statement, self.home_page, provider, courses)
            if isinstance(found, str):
                reasons[item.statement["id"]] = found
            else:
                completions.append(found)
        counted: dict[str, str] = {}
        if completions:
            for outcome in self.posting.post_completions(provider_id, completions, actor):
                if outcome.outcome in ("created", "duplicate") and outcome.completion_id:
                    counted[outcome.event_id] = outcome.completion_id
                elif outcome.outcome == "conflict":
                    reasons[outcome.event_id] = conflict_message(outcome)
                elif outcome.error is not None:
                    reasons[outcome.event_id] = f"{outcome.error.code}: {outcome.error.detail}"
        for item in new:
            if item.statement["verb"]["id"] != VOIDED:
                continue
            target = voided.get(str(UUID(item.statement["object"]["id"])))
            if target is not None and target["completion_id"]:
                self._reverse(provider_id, target["completion_id"], item.statement["id"], actor)
        return [
            Statement(
                provider_id=str(provider_id), statement_id=item.statement["id"],
                statement=json.dumps(item.statement, ensure_ascii=False, separators=(",", ":")),
                attachments={a["sha2"]: base64.b64encode(attachments[a["sha2"]]).decode("ascii")
                             for a in item.statement.get("attachments") or [] if a["sha2"] in attachments},
                voids=str(UUID(item.statement["object"]["id"])) if item.statement["verb"]["id"] == VOIDED else None,
                completion_id=counted.get(item.statement["id"]),
                not_counted=reasons.get(item.statement["id"]), actor=actor,
            )
            for item in new
        ]

    def _reverse(self, provider_id: UUID, completion_id: str, voiding_id: str, actor: dict[str, Any]) -> None:
        """Reverse the completion of a voided statement (already reversed some other way: nothing to do)."""
        try:
            self.corrections.reverse_completion(provider_id, UUID(completion_id),
                                                f"voided by xAPI statement {voiding_id}", actor)
        except Conflict as exc:
            if getattr(exc, "code", "") != "already_reversed":
                raise
