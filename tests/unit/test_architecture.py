"""The layout's promises, checked on the source: the services never import each other, and
``contracts/`` and ``shared/`` never import from ``services/``."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def imports_of(package: str) -> list[tuple[Path, str]]:
    found = []
    for path in (REPO / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found += [(path, alias.name) for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.append((path, node.module))
    return found


@pytest.mark.parametrize(("package", "forbidden"), [
    ("services/credential", "services.training"),
    ("services/training", "services.credential"),
    ("shared", "services"),
    ("contracts", "services"),
    ("contracts", "shared"),
])
def test_forbidden_imports_do_not_exist(package, forbidden):
    offending = [f"{path.relative_to(REPO)} imports {name}" for path, name in imports_of(package)
                 if name == forbidden or name.startswith(forbidden + ".")]
    assert not offending, offending


def test_the_check_sees_real_imports():
    assert any(name.startswith("services.credential") for _, name in imports_of("services/credential"))
