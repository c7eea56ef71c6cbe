"""JSON Schemas of every public contract, generated from the Structs and committed.

``python -m contracts.schemas`` rewrites ``contracts/schemas/*.json``; a test fails when the
committed files drift from the Structs.
"""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import sys
from pathlib import Path
from typing import Any, get_args

import msgspec

import contracts

SCHEMA_DIR = Path(__file__).parent / "schemas"


def contract_modules() -> list[str]:
    """Every contracts module that defines at least one public type."""
    names = (
        m.name for m in pkgutil.walk_packages(contracts.__path__, "contracts.")
        if not m.ispkg and m.name != "contracts.schemas"
    )
    return sorted(n for n in names if _types_of(importlib.import_module(n)))


def _types_of(module: Any) -> list[Any]:
    found: list[Any] = []
    for name, value in vars(module).items():
        if inspect.isclass(value) and issubclass(value, msgspec.Struct) and value.__module__ == module.__name__:
            if not getattr(value, "__parameters__", ()) and value.__struct_fields__ and not name.endswith("Base"):
                found.append(value)  # generic envelopes are documented per use; bases (…Base) in their subclasses
        elif name.endswith(("Event", "FeedPage")) and get_args(value):
            found.append(value)  # a tagged union of integration events, or a service's feed page
    return sorted(found, key=lambda t: getattr(t, "__name__", str(t)))


def render(module_name: str) -> str:
    module = importlib.import_module(module_name)
    (_, components) = msgspec.json.schema_components(_types_of(module), ref_template="#/$defs/{name}")
    document = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": module_name,
        "description": (module.__doc__ or "").strip().splitlines()[0],
        "$defs": components,
    }
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def schema_path(module_name: str) -> Path:
    return SCHEMA_DIR / f"{module_name.removeprefix('contracts.')}.json"


def main() -> int:
    SCHEMA_DIR.mkdir(exist_ok=True)
    for stale in SCHEMA_DIR.glob("*.json"):
        stale.unlink()
    for name in contract_modules():
        schema_path(name).write_text(render(name), encoding="utf-8")
        print(f"wrote {schema_path(name)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
