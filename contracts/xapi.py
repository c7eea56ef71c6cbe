"""xAPI statements as a Learning Record Store receives them (IEEE 9274.1.1 "xAPI 2.0", and 1.0.3).

The Structs below are the statement's parts with the spec's field names; ``check_statement``
applies the rules a Struct cannot say (one inverse functional identifier per agent, which
``objectType`` a part is, score ranges, language tags, IRIs ...). A statement that breaks one is
refused whole (400 naming the field); the LRS stores the statement exactly as it was sent.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from typing import Any
from uuid import UUID

import msgspec

VERSIONS = ("1.0.0", "1.0.1", "1.0.2", "1.0.3", "2.0.0")
"""Values of ``X-Experience-API-Version`` accepted; answers say ``2.0.0`` (or the 1.0.x asked for)."""
VOIDED = "http://adlnet.gov/expapi/verbs/voided"
COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
PASSED = "http://adlnet.gov/expapi/verbs/passed"

_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]*$")
_LANG = re.compile(r"^(?:[A-Za-z]{2,3}(?:-[A-Za-z]{3}){0,3}|[A-Za-z]{4,8})(?:-[A-Za-z]{4})?(?:-(?:[A-Za-z]{2}|[0-9]{3}))?"
                   r"(?:-(?:[A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*(?:-[0-9A-WY-Za-wy-z](?:-[A-Za-z0-9]{2,8})+)*"
                   r"(?:-[xX](?:-[A-Za-z0-9]{1,8})+)?$|^[xX](?:-[A-Za-z0-9]{1,8})+$")
_SHA1 = re.compile(r"^[0-9a-fA-F]{40}$")
_EMAIL = re.compile(r"^mailto:[^@\s]+@[^@\s]+$")
_DURATION = re.compile(r"^P(?:\d+(?:\.\d+)?W|(?=\d|T\d)(?:\d+(?:\.\d+)?Y)?(?:\d+(?:\.\d+)?M)?(?:\d+(?:\.\d+)?D)?"
                       r"(?:T(?=\d)(?:\d+(?:\.\d+)?H)?(?:\d+(?:\.\d+)?M)?(?:\d+(?:\.\d+)?S)?)?)$")
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$")
_INTERACTIONS = {"true-false", "choice", "fill-in", "long-fill-in", "matching", "performance", "sequencing",
                 "likert", "numeric", "other"}
_COMPONENT_LISTS = {"choices": {"choice", "sequencing"}, "scale": {"likert"}, "source": {"matching"},
                    "target": {"matching"}, "steps": {"performance"}}
_CONTEXT_ACTIVITY_KINDS = ("parent", "grouping", "category", "other")


class StatementInvalid(ValueError):
    """A statement the LRS must refuse (400): the field at fault and why."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.message = message


class Account(msgspec.Struct, forbid_unknown_fields=True):
    """An account on a system: ``homePage`` (an IRL) and ``name``."""

    homePage: str
    name: str


class AgentFields(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """An Agent, or an identified or anonymous Group (with ``member``)."""

    objectType: str | None = None
    name: str | None = None
    mbox: str | None = None
    mbox_sha1sum: str | None = None
    openid: str | None = None
    account: Account | None = None
    member: list[dict[str, Any]] | None = None


class Verb(msgspec.Struct, forbid_unknown_fields=True):
    """What was done: an IRI and its display names."""

    id: str
    display: dict[str, str] | None = None


class InteractionComponent(msgspec.Struct, forbid_unknown_fields=True):
    id: str
    description: dict[str, str] | None = None


class ActivityDefinition(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """An activity's metadata."""

    name: dict[str, str] | None = None
    description: dict[str, str] | None = None
    type: str | None = None
    moreInfo: str | None = None
    extensions: dict[str, Any] | None = None
    interactionType: str | None = None
    correctResponsesPattern: list[str] | None = None
    choices: list[InteractionComponent] | None = None
    scale: list[InteractionComponent] | None = None
    source: list[InteractionComponent] | None = None
    target: list[InteractionComponent] | None = None
    steps: list[InteractionComponent] | None = None


class Activity(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """An activity: its IRI and optional definition."""

    id: str
    objectType: str | None = None
    definition: dict[str, Any] | None = None


class StatementRef(msgspec.Struct, forbid_unknown_fields=True):
    """A reference to another statement by id."""

    objectType: str
    id: str


class Score(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    scaled: float | None = None
    raw: float | None = None
    min: float | None = None
    max: float | None = None


class Result(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """The outcome: score, success, completion, response, duration, extensions."""

    score: Score | None = None
    success: bool | None = None
    completion: bool | None = None
    response: str | None = None
    duration: str | None = None
    extensions: dict[str, Any] | None = None


class Context(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """The context: registration, instructor, team, context activities, revision, platform, language."""

    registration: str | None = None
    instructor: dict[str, Any] | None = None
    team: dict[str, Any] | None = None
    contextActivities: dict[str, Any] | None = None
    contextAgents: list[dict[str, Any]] | None = None
    contextGroups: list[dict[str, Any]] | None = None
    revision: str | None = None
    platform: str | None = None
    language: str | None = None
    statement: dict[str, Any] | None = None
    extensions: dict[str, Any] | None = None


class AttachmentInfo(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """An attachment's description; its content travels in a multipart/mixed part (or at ``fileUrl``)."""

    usageType: str
    display: dict[str, str]
    contentType: str
    length: int
    sha2: str
    description: dict[str, str] | None = None
    fileUrl: str | None = None


class StatementFields(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """A statement's top-level fields."""

    actor: dict[str, Any]
    verb: dict[str, Any]
    object: dict[str, Any]
    id: str | None = None
    result: dict[str, Any] | None = None
    context: dict[str, Any] | None = None
    timestamp: str | None = None
    stored: str | None = None
    authority: dict[str, Any] | None = None
    version: str | None = None
    attachments: list[dict[str, Any]] | None = None
    objectType: str | None = None


class StatementResult(msgspec.Struct, array_like=False):
    """Statements returned by a query; ``more`` is the URL of the next page (empty when none)."""

    statements: list[dict[str, Any]]
    more: str = ""


class AboutView(msgspec.Struct):
    """The About resource: the xAPI versions this LRS speaks."""

    version: list[str]
    extensions: dict[str, Any] = {}


class NotCountedStatement(msgspec.Struct, kw_only=True):
    """A statement the provider sent that did not become a completion, and why."""

    statement_id: str
    verb: str
    object_id: str | None
    stored: str
    reason: str


class NotCountedPage(msgspec.Struct, kw_only=True):
    """A page of a provider's statements that were stored but not counted; ``next_after`` pages on."""

    items: list[NotCountedStatement]
    next_after: int | None


def _convert(value: Any, kind: type, field: str) -> Any:
    if not isinstance(value, dict):
        raise StatementInvalid(field, "must be a JSON object")
    try:
        return msgspec.convert(value, kind, strict=True)
    except msgspec.ValidationError as exc:
        text = str(exc)
        at = re.search(r"at `\$(.*)`", text)
        inner = at.group(1).lstrip(".") if at else ""
        raise StatementInvalid(f"{field}.{inner}".rstrip("."), text.split(" - at ")[0]) from None


def check_iri(value: Any, field: str) -> None:
    if not isinstance(value, str) or not _IRI.match(value):
        raise StatementInvalid(field, "must be an absolute IRI")


def check_uuid(value: Any, field: str) -> str:
    if not isinstance(value, str):
        raise StatementInvalid(field, "must be a UUID")
    try:
        parsed = UUID(value)
    except ValueError:
        raise StatementInvalid(field, "must be a UUID") from None
    if str(parsed) != value.lower():
        raise StatementInvalid(field, "must be a UUID in its hyphenated form")
    return str(parsed)


def check_language_map(value: Any, field: str) -> None:
    if not isinstance(value, dict):
        raise StatementInvalid(field, "must be a language map")
    for tag, text in value.items():
        if not _LANG.match(tag):
            raise StatementInvalid(f"{field}.{tag}", "is not an RFC 5646 language tag")
        if not isinstance(text, str):
            raise StatementInvalid(f"{field}.{tag}", "must be a string")


def check_extensions(value: Any, field: str) -> None:
    if not isinstance(value, dict):
        raise StatementInvalid(field, "must be an object")
    for key in value:
        check_iri(key, f"{field}.{key}")


def check_timestamp(value: Any, field: str) -> None:
    if not isinstance(value, str) or not _TIMESTAMP.match(value):
        raise StatementInvalid(field, "must be an ISO 8601 date-time with a time zone")
    if value.endswith("-00:00") or value.endswith("-0000"):
        raise StatementInvalid(field, "must not use the offset -00:00")
    try:
        parse_timestamp(value)
    except ValueError:
        raise StatementInvalid(field, "is not a valid date-time") from None


def parse_timestamp(value: str) -> dt.datetime:
    text = value.replace("Z", "+00:00")
    if re.search(r"[+-]\d{4}$", text):
        text = text[:-2] + ":" + text[-2:]
    head, _, frac_zone = text.partition(".")
    if frac_zone:  # Python reads at most six fractional digits
        digits = re.match(r"\d+", frac_zone).group(0)  # type: ignore[union-attr]
        text = f"{head}.{(digits + '000000')[:6]}{frac_zone[len(digits):]}"
    return dt.datetime.fromisoformat(text)


def check_agent(value: Any, field: str, *, group_allowed: bool = True, identified: bool = False) -> None:
    """An Agent or a Group: exactly one identifier (an anonymous Group names its members instead)."""
    agent = _convert(value, AgentFields, field)
    kind = agent.objectType or "Agent"
    if kind not in ("Agent", "Group") or (kind == "Group" and not group_allowed):
        raise StatementInvalid(f"{field}.objectType", "must be Agent" + (" or Group" if group_allowed else ""))
    ifis = [k for k in ("mbox", "mbox_sha1sum", "openid", "account") if getattr(agent, k) is not None]
    if len(ifis) > 1:
        raise StatementInvalid(field, "must have exactly one of mbox, mbox_sha1sum, openid, account")
    if kind == "Agent":
        if agent.member is not None:
            raise StatementInvalid(f"{field}.member", "is only for a Group")
        if not ifis:
            raise StatementInvalid(field, "an Agent needs one of mbox, mbox_sha1sum, openid, account")
    else:
        if not ifis and agent.member is None:
            raise StatementInvalid(f"{field}.member", "an anonymous Group must list its members")
        if identified and not ifis:
            raise StatementInvalid(field, "must be an identified Group")
        for i, member in enumerate(agent.member or []):
            check_agent(member, f"{field}.member[{i}]", group_allowed=False)
    if agent.mbox is not None and not _EMAIL.match(agent.mbox):
        raise StatementInvalid(f"{field}.mbox", "must be a mailto: IRI")
    if agent.mbox_sha1sum is not None and not _SHA1.match(agent.mbox_sha1sum):
        raise StatementInvalid(f"{field}.mbox_sha1sum", "must be 40 hexadecimal digits")
    if agent.openid is not None:
        check_iri(agent.openid, f"{field}.openid")
    if agent.account is not None:
        check_iri(agent.account.homePage, f"{field}.account.homePage")


def check_activity(value: Any, field: str) -> None:
    activity = _convert(value, Activity, field)
    if activity.objectType not in (None, "Activity"):
        raise StatementInvalid(f"{field}.objectType", "must be Activity")
    check_iri(activity.id, f"{field}.id")
    if activity.definition is not None:
        d = _convert(activity.definition, ActivityDefinition, f"{field}.definition")
        for name in ("name", "description"):
            if getattr(d, name) is not None:
                check_language_map(getattr(activity.definition, "get")(name), f"{field}.definition.{name}")
        if d.type is not None:
            check_iri(d.type, f"{field}.definition.type")
        if d.moreInfo is not None:
            check_iri(d.moreInfo, f"{field}.definition.moreInfo")
        if d.extensions is not None:
            check_extensions(d.extensions, f"{field}.definition.extensions")
        interaction = [n for n in ("correctResponsesPattern", *_COMPONENT_LISTS) if getattr(d, n) is not None]
        if interaction and d.interactionType is None:
            raise StatementInvalid(f"{field}.definition.interactionType", f"is needed with {interaction[0]}")
        if d.interactionType is not None and d.interactionType not in _INTERACTIONS:
            raise StatementInvalid(f"{field}.definition.interactionType", "is not an interaction type of the spec")
        for name, types in _COMPONENT_LISTS.items():
            components = getattr(d, name)
            if components is None:
                continue
            if d.interactionType not in types:
                raise StatementInvalid(f"{field}.definition.{name}", f"is only for {', '.join(sorted(types))}")
            seen: set[str] = set()
            for i, component in enumerate(components):
                if component.id in seen:
                    raise StatementInvalid(f"{field}.definition.{name}[{i}].id", "is repeated")
                seen.add(component.id)
                if component.description is not None:
                    check_language_map(component.description, f"{field}.definition.{name}[{i}].description")


def check_statement_ref(value: Any, field: str) -> str:
    ref = _convert(value, StatementRef, field)
    if ref.objectType != "StatementRef":
        raise StatementInvalid(f"{field}.objectType", "must be StatementRef")
    return check_uuid(ref.id, f"{field}.id")


def check_object(value: Any, field: str, *, sub: bool) -> None:
    if not isinstance(value, dict):
        raise StatementInvalid(field, "must be a JSON object")
    kind = value.get("objectType", "Activity")
    if kind == "Activity":
        check_activity(value, field)
    elif kind in ("Agent", "Group"):
        check_agent(value, field)
    elif kind == "StatementRef":
        check_statement_ref(value, field)
    elif kind == "SubStatement" and not sub:
        check_parts(value, field, sub=True)
    else:
        raise StatementInvalid(f"{field}.objectType", "is not a kind of object this may be")


def check_context(value: Any, field: str, object_kind: str) -> None:
    context = _convert(value, Context, field)
    if context.registration is not None:
        check_uuid(context.registration, f"{field}.registration")
    if context.instructor is not None:
        check_agent(context.instructor, f"{field}.instructor")
    if context.team is not None:
        team = context.team
        if not isinstance(team, dict) or team.get("objectType") != "Group":
            raise StatementInvalid(f"{field}.team", "must be a Group")
        check_agent(team, f"{field}.team")
    if context.contextActivities is not None:
        for kind, activities in context.contextActivities.items():
            if kind not in _CONTEXT_ACTIVITY_KINDS:
                raise StatementInvalid(f"{field}.contextActivities.{kind}", "is not parent, grouping, category or other")
            for i, activity in enumerate(activities if isinstance(activities, list) else [activities]):
                check_activity(activity, f"{field}.contextActivities.{kind}[{i}]")
    for name in ("revision", "platform"):
        if getattr(context, name) is not None and object_kind != "Activity":
            raise StatementInvalid(f"{field}.{name}", "is only for a statement about an Activity")
    if context.language is not None and not _LANG.match(context.language):
        raise StatementInvalid(f"{field}.language", "is not an RFC 5646 language tag")
    if context.statement is not None:
        check_statement_ref(context.statement, f"{field}.statement")
    if context.extensions is not None:
        check_extensions(context.extensions, f"{field}.extensions")
    for name, kind, member in (("contextAgents", "contextAgent", "agent"), ("contextGroups", "contextGroup", "group")):
        for i, item in enumerate(getattr(context, name) or []):
            at = f"{field}.{name}[{i}]"
            if not isinstance(item, dict) or set(item) - {"objectType", "relevantTypes", member}:
                raise StatementInvalid(at, f"must be an object of objectType, {member} and relevantTypes")
            if item.get("objectType") != kind:
                raise StatementInvalid(f"{at}.objectType", f"must be {kind}")
            if member == "group" and (not isinstance(item.get(member), dict) or item[member].get("objectType") != "Group"):
                raise StatementInvalid(f"{at}.group", "must be a Group")
            check_agent(item.get(member), f"{at}.{member}", group_allowed=member == "group")
            types = item.get("relevantTypes")
            if types is not None:
                if not isinstance(types, list) or not types:
                    raise StatementInvalid(f"{at}.relevantTypes", "must be a non-empty array of IRIs")
                for j, iri in enumerate(types):
                    check_iri(iri, f"{at}.relevantTypes[{j}]")


def check_result(value: Any, field: str) -> None:
    result = _convert(value, Result, field)
    score = result.score
    if score is not None:
        if score.scaled is not None and not -1 <= score.scaled <= 1:
            raise StatementInvalid(f"{field}.score.scaled", "must be between -1 and 1")
        if score.min is not None and score.max is not None and score.min >= score.max:
            raise StatementInvalid(f"{field}.score.max", "must be greater than min")
        if score.raw is not None:
            if score.min is not None and score.raw < score.min:
                raise StatementInvalid(f"{field}.score.raw", "must not be below min")
            if score.max is not None and score.raw > score.max:
                raise StatementInvalid(f"{field}.score.raw", "must not be above max")
    if result.duration is not None and not _DURATION.match(result.duration):
        raise StatementInvalid(f"{field}.duration", "must be an ISO 8601 duration")
    if result.extensions is not None:
        check_extensions(result.extensions, f"{field}.extensions")


def check_attachment(value: Any, field: str) -> None:
    info = _convert(value, AttachmentInfo, field)
    check_iri(info.usageType, f"{field}.usageType")
    check_language_map(info.display, f"{field}.display")
    if info.description is not None:
        check_language_map(info.description, f"{field}.description")
    if info.fileUrl is not None:
        check_iri(info.fileUrl, f"{field}.fileUrl")
    if info.length < 0:
        raise StatementInvalid(f"{field}.length", "must not be negative")


def check_parts(value: dict[str, Any], field: str, *, sub: bool) -> None:
    for name, part in value.items():
        if part is None and name != "timestamp":
            raise StatementInvalid(f"{field}.{name}" if field else name, "must not be null")
    fields = _convert(value, StatementFields, field)
    prefix = f"{field}." if field else ""
    if sub:
        for name in ("id", "stored", "version", "authority"):
            if name in value:
                raise StatementInvalid(prefix + name, "is not allowed in a SubStatement")
    elif fields.objectType is not None:
        raise StatementInvalid(prefix + "objectType", "is only for a SubStatement")
    check_agent(fields.actor, prefix + "actor")
    verb = _convert(fields.verb, Verb, prefix + "verb")
    check_iri(verb.id, prefix + "verb.id")
    if verb.display is not None:
        check_language_map(verb.display, prefix + "verb.display")
    check_object(fields.object, prefix + "object", sub=sub)
    if fields.result is not None:
        check_result(fields.result, prefix + "result")
    if fields.context is not None:
        check_context(fields.context, prefix + "context", fields.object.get("objectType", "Activity"))
    if fields.timestamp is not None:
        check_timestamp(fields.timestamp, prefix + "timestamp")
    for i, attachment in enumerate(fields.attachments or []):
        check_attachment(attachment, f"{prefix}attachments[{i}]")


def check_no_null(value: Any, field: str) -> None:
    """No property is null, except inside ``extensions`` (Data 2.2)."""
    if value is None:
        raise StatementInvalid(field, "must not be null")
    if isinstance(value, dict):
        for key, item in value.items():
            if key != "extensions":
                check_no_null(item, f"{field}.{key}" if field else key)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            check_no_null(item, f"{field}[{i}]")


def check_authority(value: Any) -> None:
    """An Agent, or an anonymous Group of exactly two Agents (an OAuth consumer and user)."""
    check_agent(value, "authority")
    if value.get("objectType") == "Group":
        if any(k in value for k in ("mbox", "mbox_sha1sum", "openid", "account")) or len(value.get("member") or []) != 2:
            raise StatementInvalid("authority", "a Group authority must be anonymous with exactly two members")


def check_statement(value: Any) -> dict[str, Any]:
    """A statement the LRS may store, or StatementInvalid naming the field at fault."""
    if not isinstance(value, dict):
        raise StatementInvalid("", "a statement must be a JSON object")
    if "timestamp" in value and value["timestamp"] is None:  # sent as null: as if not sent
        value = {k: v for k, v in value.items() if k != "timestamp"}
    check_no_null(value, "")
    check_parts(value, "", sub=False)
    if "id" in value:
        check_uuid(value["id"], "id")
    if "stored" in value:
        check_timestamp(value["stored"], "stored")
    if "version" in value and (not isinstance(value["version"], str)
                               or not re.match(r"^(1\.0|2\.0)(\.\d+)?$", value["version"])):
        raise StatementInvalid("version", "must be 1.0.x or 2.0.x")
    if "authority" in value:
        check_authority(value["authority"])
    if value["verb"]["id"] == VOIDED and value["object"].get("objectType") != "StatementRef":
        raise StatementInvalid("object", "a voiding statement's object must be a StatementRef")
    return value


def _b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def check_signature(statement: dict[str, Any], jws: bytes) -> None:
    """A signed statement's signature attachment: a compact JWS (RS256/384/512) whose payload is the statement.

    The LRS stores the signature; it checks its form and that it signs this statement's actor, verb
    and object, not the signature itself (no key of the signer is known here).
    """
    try:
        header_text, payload_text, signature = jws.decode("ascii").strip().split(".")
        header = json.loads(_b64url(header_text))
        payload = json.loads(_b64url(payload_text))
        _b64url(signature)
    except (ValueError, UnicodeDecodeError):
        raise StatementInvalid("attachments", "the signature is not a compact JWS of a JSON statement") from None
    if not isinstance(header, dict) or header.get("alg") not in ("RS256", "RS384", "RS512"):
        raise StatementInvalid("attachments", "the signature's alg must be RS256, RS384 or RS512")
    if not isinstance(payload, dict) or any(payload.get(k) != statement.get(k) for k in ("actor", "verb", "object")):
        raise StatementInvalid("attachments", "the signature's payload is not this statement")
