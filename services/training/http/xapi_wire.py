"""The xAPI wire: the version header, multipart/mixed bodies with attachments, the ``ids`` format."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import uuid
from typing import Any

from contracts.xapi import VERSIONS
from shared.http.problems import problem
from shared.http.strict import parse_json

VERSION_HEADER = "X-Experience-API-Version"
CONSISTENT_THROUGH = "X-Experience-API-Consistent-Through"
HASH_HEADER = "x-experience-api-hash"


def bad_request(detail: str, field: str = "") -> Exception:
    """The spec's 400 for a request the LRS does not accept."""
    return problem(400, "xapi_bad_request", detail, errors=[{"field": field, "message": detail, "source": "body"}]
                   if field else [])


def version_of(headers: Any) -> str:
    """The request's xAPI version (400 when missing or not one this LRS speaks)."""
    version = headers.get(VERSION_HEADER)
    if version is None:
        raise bad_request(f"send the {VERSION_HEADER} header (one of {', '.join(VERSIONS)})", VERSION_HEADER)
    if version not in VERSIONS:
        raise bad_request(f"{VERSION_HEADER} {version[:20]!r} is not one of {', '.join(VERSIONS)}", VERSION_HEADER)
    return version


def answer_version(version: str) -> str:
    """The version the answer states: 2.0.0, or 1.0.3 to a 1.0.x client."""
    return "1.0.3" if version.startswith("1.0") else "2.0.0"


def parse_body(content_type: str, body: bytes) -> tuple[Any, dict[str, bytes]]:
    """The statement(s) of a PUT/POST body and its attachments by SHA-256 (400 for a body the spec refuses)."""
    media = content_type.split(";")[0].strip().lower()
    if media == "application/json":
        return _json(body), {}
    if media == "multipart/mixed":
        match = re.search(r'boundary="?([^";]+)"?', content_type)
        if not match:
            raise bad_request("a multipart/mixed body needs a boundary", "Content-Type")
        return _multipart(body, match.group(1).encode("latin-1"))
    raise bad_request("send statements as application/json or multipart/mixed", "Content-Type")


def _json(body: bytes) -> Any:
    try:
        return parse_json(body)
    except Exception as exc:  # a repeated key or malformed JSON: the spec answers 400 either way
        raise bad_request(f"the body is not acceptable JSON: {getattr(exc, 'detail', exc)}") from None


def _multipart(body: bytes, boundary: bytes) -> tuple[Any, dict[str, bytes]]:
    delimiter = b"--" + boundary
    chunks = body.split(delimiter)
    if len(chunks) < 3 or not chunks[-1].startswith(b"--"):
        raise bad_request("the multipart/mixed body is not closed by its boundary")
    parts = []
    for chunk in chunks[1:-1]:
        chunk = chunk[2:] if chunk.startswith(b"\r\n") else chunk
        head, sep, content = chunk.partition(b"\r\n\r\n")
        if not sep:
            raise bad_request("a multipart part has no header end")
        headers = {}
        for line in head.decode("latin-1").split("\r\n"):
            name, _, value = line.partition(":")
            if name.strip():
                headers[name.strip().lower()] = value.strip()
        parts.append((headers, content[:-2] if content.endswith(b"\r\n") else content))
    (first_headers, first), *rest = parts
    if first_headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
        raise bad_request("the first part of a multipart/mixed body must be the statements (application/json)")
    attachments: dict[str, bytes] = {}
    for headers, content in rest:
        sha2 = headers.get(HASH_HEADER)
        if sha2 is None:
            raise bad_request(f"every attachment part needs an {HASH_HEADER} header")
        if "content-transfer-encoding" in headers and headers["content-transfer-encoding"].lower() != "binary":
            raise bad_request("attachment parts must be sent with Content-Transfer-Encoding: binary")
        if hashlib.sha256(content).hexdigest() != sha2.lower():
            raise bad_request(f"the part with {HASH_HEADER} {sha2[:64]} does not have that SHA-256")
        attachments[sha2.lower()] = content
    return _json(first), attachments


def multipart_answer(result: Any, attachments: dict[str, bytes], content_types: dict[str, str]) -> tuple[bytes, str]:
    """A statements answer with its attachments (``attachments=true``): the body and its Content-Type."""
    boundary = uuid.uuid4().hex
    out = [f"--{boundary}\r\nContent-Type: application/json\r\n\r\n".encode(), json.dumps(result).encode(), b"\r\n"]
    for sha2, content in attachments.items():
        out += [f"--{boundary}\r\nContent-Type: {content_types.get(sha2, 'application/octet-stream')}\r\n"
                f"Content-Transfer-Encoding: binary\r\nX-Experience-API-Hash: {sha2}\r\n\r\n".encode(), content, b"\r\n"]
    out.append(f"--{boundary}--\r\n".encode())
    return b"".join(out), f"multipart/mixed; boundary={boundary}"


def _ids_agent(agent: Any) -> Any:
    if not isinstance(agent, dict):
        return agent
    kept = {k: v for k, v in agent.items() if k in ("objectType", "mbox", "mbox_sha1sum", "openid", "account")}
    if "member" in agent and not any(k in kept for k in ("mbox", "mbox_sha1sum", "openid", "account")):
        kept["member"] = [_ids_agent(m) for m in agent["member"]]
    return kept


def ids_format(statement: dict[str, Any]) -> dict[str, Any]:
    """The ``ids`` format: agents by their identifier only, activities by id only."""
    out = dict(statement)
    for name in ("actor", "authority"):
        if name in out:
            out[name] = _ids_agent(out[name])
    obj = out.get("object", {})
    kind = obj.get("objectType", "Activity")
    if kind == "Activity":
        out["object"] = {"id": obj.get("id")}
    elif kind in ("Agent", "Group"):
        out["object"] = _ids_agent(obj)
    elif kind == "SubStatement":
        out["object"] = ids_format(obj)
    if isinstance(out.get("verb"), dict):
        out["verb"] = {"id": out["verb"].get("id")}
    context = out.get("context")
    if isinstance(context, dict):
        context = dict(context)
        for name in ("instructor", "team"):
            if name in context:
                context[name] = _ids_agent(context[name])
        if isinstance(context.get("contextActivities"), dict):
            context["contextActivities"] = {
                kind: [{"id": a.get("id")} for a in (acts if isinstance(acts, list) else [acts])]
                for kind, acts in context["contextActivities"].items()
            }
        out["context"] = context
    return out


def with_xapi_version(asgi: Any) -> Any:
    """Around the app: every answer under /xapi/ states its xAPI version, and a request to a resource
    not implemented yet without a version this LRS speaks is answered 400 as an LRS must; HEAD of the Statements and About
    resources is answered as GET without the body."""

    async def handler(scope: Any, receive: Any, send: Any) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not path.startswith("/xapi/") and path != "/xapi":
            await asgi(scope, receive, send)
            return
        asked = next((v.decode("latin-1") for k, v in scope.get("headers", []) if k == b"x-experience-api-version"), None)
        stated = answer_version(asked or "2.0.0").encode()
        routed = path.rstrip("/") in ("/xapi/statements", "/xapi/about")  # these check the key first, then the version
        if not routed and asked not in VERSIONS:
            body = json.dumps({"type": "urn:carecred:problem:xapi_bad_request", "status": 400, "code": "xapi_bad_request",
                               "title": "Xapi bad request",
                               "detail": f"send the {VERSION_HEADER} header (one of {', '.join(VERSIONS)})"}).encode()
            await send({"type": "http.response.start", "status": 400, "headers": [
                (b"content-type", b"application/problem+json"), (b"content-length", str(len(body)).encode()),
                (VERSION_HEADER.lower().encode(), stated)]})
            await send({"type": "http.response.body", "body": body})
            return

        statements_get = scope.get("method") in ("GET", "HEAD") and path.rstrip("/") == "/xapi/statements"
        head = scope.get("method") == "HEAD" and path.rstrip("/") in ("/xapi/statements", "/xapi/about")
        if head:  # HEAD: answered as GET, without the body
            scope = {**scope, "method": "GET"}

        async def stating(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != VERSION_HEADER.lower().encode()]
                headers.append((VERSION_HEADER.lower().encode(), stated))
                if statements_get and not any(k.lower() == CONSISTENT_THROUGH.lower().encode() for k, _ in headers):
                    # a refused query: nothing was read, so the time now is as consistent as any
                    now = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
                    headers.append((CONSISTENT_THROUGH.lower().encode(), now.encode()))
                message = {**message, "headers": headers}
            elif head and message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await asgi(scope, receive, stating)

    return handler


_LANGUAGE_MAPS = ("display", "name", "description")


def preferred_languages(header: str | None) -> list[str]:
    """The languages of an Accept-Language header, most wanted first."""
    ranked = []
    for i, item in enumerate((header or "").split(",")):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and quality > 0:
            ranked.append((-quality, i, tag.lower()))
    return [tag for _, _, tag in sorted(ranked)]


def _one_language(texts: dict[str, Any], wanted: list[str]) -> dict[str, Any]:
    by_tag = {k.lower(): k for k in texts}
    for tag in wanted:
        if tag in by_tag:
            return {by_tag[tag]: texts[by_tag[tag]]}
        for lower, key in by_tag.items():
            if lower.split("-")[0] == tag.split("-")[0]:
                return {key: texts[key]}
    first = next(iter(texts))
    return {first: texts[first]}


def canonical_format(value: Any, wanted: list[str]) -> Any:
    """The ``canonical`` format: every language map reduced to the one language the client prefers."""
    if isinstance(value, list):
        return [canonical_format(v, wanted) for v in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for key, item in value.items():
        if key == "extensions":
            out[key] = item
        elif key in _LANGUAGE_MAPS and isinstance(item, dict) and item and all(isinstance(v, str) for v in item.values()):
            out[key] = _one_language(item, wanted)
        else:
            out[key] = canonical_format(item, wanted)
    return out
