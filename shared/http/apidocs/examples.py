"""Examples for request and response bodies, composed from the schemas the contracts give.

A value is taken from the schema where it has one (``examples``, ``const``, ``enum``, a default),
else from a field's name (``HINTS``: realistic Jinshan data), else from its type and format,
within its length and range and matching its pattern. ``tests/integration/test_api_documentation``
checks that every example validates against its own schema.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

HINTS: dict[str, Any] = {
    "name": "王丽华",
    "town": "朱泾镇",
    "id_number": "310116199003151235",
    "number": "YY-2024-000123",
    "cert_type": "health",
    "role": "nursery_worker",
    "issuing_body": "上海市金山区卫生健康委员会",
    "reason": "离职，证书交回",
    "note": "",
    "code": "OU-SKILL-01",
    "course_code": "OU-SKILL-01",
    "event_id": "ou-2026-spring-000123",
    "category": "skills",
    "title": "婴幼儿照护实务",
    "detail": "The change is stored. The usual answer could not be built now; read it again later.",
    "topic": "carecred.credential.CertificateIssued.v1",
    "id_masked": "310***********1235",
    "status": "active",
    "issued_on": "2024-03-02",
    "expires_on": "2029-03-01",
    "end_reason": "合同到期",
    "month": "2027-01",
    "draw_month": "2027-01",
    "commitment": "5f0e6a3c9b2d4e1f8a7c6b5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f",
    "seed": "9a1c3e5f7b2d4f6a8c0e1b3d5f7a9c2e4f6b8d0a1c3e5f7b9d2f4a6c8e0b1d3f",
}
UUID = "6f1c0e0a-3c1d-4b7e-9a51-2f0c8d9e1a01"
BY_FORMAT = {
    "uuid": UUID,
    "date": "2026-03-02",
    "date-time": "2026-03-02T09:30:00+08:00",
    "uri": "https://credential.example.org/.well-known/carecred/trust-list",
    "email": "hr@example.org",
    "byte": "AAEC",
    "binary": "AAEC",
}
_CANDIDATES = ("YY-2024-000123", "OU-SKILL-01", "nursery_worker", "health", "a1", "ABC", "123456", UUID, "2026")


class _Refs:
    def __init__(self, components: dict[str, Any]):
        self.components = components

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        seen = 0
        while "$ref" in schema and seen < 20:
            schema = self.components.get(schema["$ref"].rsplit("/", 1)[-1], {})
            seen += 1
        return schema


def example_of(schema: dict[str, Any], components: dict[str, Any], name: str = "", depth: int = 0) -> Any:
    """A value that fits ``schema`` (resolving ``$ref`` in ``components``)."""
    return _example(schema, _Refs(components), name, depth)


def _example(schema: dict[str, Any], refs: _Refs, name: str, depth: int) -> Any:
    schema = refs.resolve(schema)
    if "examples" in schema and schema["examples"]:
        return schema["examples"][0]
    if "example" in schema:
        return schema["example"]
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        hint = HINTS.get(name)
        return hint if hint in schema["enum"] else next((v for v in schema["enum"] if v is not None), schema["enum"][0])
    for key in ("oneOf", "anyOf"):
        if key in schema:
            options = [o for o in schema[key] if refs.resolve(o).get("type") != "null"] or schema[key]
            around = {k: v for k, v in schema.items() if k != key}  # constraints beside the alternatives apply too
            return _example({**around, **refs.resolve(options[0])}, refs, name, depth)
    if "allOf" in schema:
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            value = _example(part, refs, name, depth)
            if isinstance(value, dict):
                merged.update(value)
        return merged
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or "properties" in schema:
        if depth > 16:
            return {}
        required = set(schema.get("required", []))
        return {key: _example(value, refs, key, depth + 1) for key, value in schema.get("properties", {}).items()
                if key in required or depth < 3}
    if kind == "array":
        item = _example(schema.get("items", {}), refs, name.rstrip("s"), depth + 1)
        return [item] * max(1, schema.get("minItems", 1))
    if kind == "integer":
        return _number(schema, 1)
    if kind == "number":
        return _number(schema, 1.5)
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    if kind == "string":
        return _string(schema, name)
    return HINTS.get(name, {})


def _by_suffix(name: str) -> str | None:
    """Dates end ``_on`` (or are ``on``), instants ``_at``, ids ``_id``."""
    if name == "on" or name.endswith(("_on", "_from", "_until")) or name in ("until", "as_of_date"):
        return BY_FORMAT["date"]
    if name.endswith("_at") or name == "as_of":
        return BY_FORMAT["date-time"]
    if name.endswith("_id") or name == "registered_by":
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"urn:carecred:example:{name}"))  # one id per kind of thing
    return None


def _number(schema: dict[str, Any], default: float) -> Any:
    if "default" in schema:
        return schema["default"]
    low = schema.get("minimum", schema.get("exclusiveMinimum", 0) + 1 if "exclusiveMinimum" in schema else None)
    high = schema.get("maximum")
    value = default if low is None else low
    if high is not None and value > high:
        value = high
    return int(value) if isinstance(default, int) else value


def _string(schema: dict[str, Any], name: str) -> str:
    low, high = schema.get("minLength", 0), schema.get("maxLength", 1_000_000)
    pattern = schema.get("pattern")
    fits = (lambda text: low <= len(text) <= high and (pattern is None or re.search(pattern, text) is not None))
    for candidate in (HINTS.get(name), BY_FORMAT.get(schema.get("format", "")), _by_suffix(name), f"{name}-1" if name else None,
                      *_CANDIDATES):
        if isinstance(candidate, str) and fits(candidate):
            return candidate
    return "x" * max(low, 1)
