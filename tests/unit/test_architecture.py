"""The layout's promises, checked on the source.

Between packages: the services never import each other, and ``contracts/`` and ``shared/``
never import from ``services/``. Inside each service, the layers of ``docs/architecture.md``:
``http`` → ``application`` → ``domain``, with ``read_models`` beside the application (the
application reads them; they never call the application) and ``app.py`` the one place that
wires everything together.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SERVICES = ("credential", "training")


def imported_names(source: str) -> list[str]:
    """Every name a source imports, dotted from its package (absolute imports, at any depth of the file).

    ``from services.training import http`` is ``services.training.http``, so that importing a
    layer through its parent package is seen as well.
    """
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found += [f"{node.module}.{alias.name}" for alias in node.names]
    return found


def imports_of(package: str) -> list[tuple[Path, str]]:
    return [(path, name) for path in (REPO / package).rglob("*.py")
            for name in imported_names(path.read_text(encoding="utf-8"))]


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


# Layers inside a service ---------------------------------------------------------------------

LAYERS = ("http", "application", "read_models", "domain", "badges", "portable")
"""The service's top-level packages; ``badges`` and ``portable`` (credential) are wire formats and their crypto:
the QR badge, and the Verifiable Credential documents."""

MAY_IMPORT: dict[str, set[str]] = {
    "http": {"http", "application"},
    "application": {"application", "read_models", "domain", "badges", "portable"},
    "read_models": {"read_models", "domain"},
    "domain": {"domain", "badges"},
    "badges": {"badges"},
    "portable": {"portable", "badges"},
}
"""Which of its own service's layers each layer may import; ``app.py`` (the composition root) may import all."""

NO_FRAMEWORK = {"application", "read_models", "domain", "badges", "portable"}
"""Layers that know nothing of the web framework."""


def layer_of(path: str) -> tuple[str, str] | None:
    """(service, layer) of a file such as ``services/training/http/ledger.py``; None outside the layers."""
    parts = path.split("/")
    if len(parts) < 4 or parts[0] != "services" or parts[2] not in LAYERS:
        return None
    return parts[1], parts[2]


def layer_violations(path: str, source: str) -> list[str]:
    """What the module at ``path`` (relative to the repository) imports against the layer rules."""
    located = layer_of(path)
    if located is None:
        return []
    service, layer = located
    own = f"services.{service}."
    found = []
    for name in imported_names(source):
        if name.startswith(own):
            target = name[len(own):].split(".")[0]
            if target not in MAY_IMPORT[layer]:
                found.append(f"{path}: the {layer} layer imports {name}")
        elif layer in NO_FRAMEWORK and (name == "litestar" or name.startswith("litestar.")):
            found.append(f"{path}: the {layer} layer imports {name} (only http knows the web framework)")
        elif layer == "domain" and (name == "contracts" or name.startswith("contracts.")):
            found.append(f"{path}: the domain imports {name} (public contracts are built in the application)")
    return found


def service_sources() -> list[tuple[str, str]]:
    return [(path.relative_to(REPO).as_posix(), path.read_text(encoding="utf-8"))
            for service in SERVICES for path in (REPO / "services" / service).rglob("*.py")]


def test_each_service_keeps_its_layers():
    violations = [v for path, source in service_sources() for v in layer_violations(path, source)]
    assert not violations, "\n".join(violations)


def test_every_module_of_a_service_is_in_a_layer_or_is_the_composition_root():
    outside = [path for path, _ in service_sources()
               if layer_of(path) is None and path.split("/")[-1] not in ("__init__.py", "app.py")]
    assert not outside, outside


def shape_violations(path: str, source: str) -> list[str]:
    """Use cases are plain classes: one base class at most (no mixins), and ``self`` never annotated.

    (Domain events may derive from two classes: that is how the event store library defines them.)
    """
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ClassDef) and len(node.bases) > 1:
            found.append(f"{path}: class {node.name} mixes {len(node.bases)} classes; compose use cases instead")
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.args.args:
            first = node.args.args[0]
            if first.arg == "self" and first.annotation is not None:
                found.append(f"{path}: {node.name} annotates self; give the collaborators to __init__ instead")
    return found


def test_use_cases_are_plain_classes_in_both_services():
    violations = [v for path, source in service_sources() if (layer_of(path) or ("", ""))[1] == "application"
                  for v in shape_violations(path, source)]
    assert not violations, "\n".join(violations)


@pytest.mark.parametrize("source", [
    "class Records(CatalogueMixin, ServiceApplication):\n    pass\n",
    "class PostingMixin:\n    def post(self: Any, items: list) -> None:\n        pass\n",
])
def test_the_shape_check_fails_on_a_mixin(source):
    assert shape_violations("services/training/application/__init__.py", source)


@pytest.mark.parametrize(("path", "source"), [
    ("services/training/domain/ledger.py", "from services.training.http.scope import require_own_provider"),
    ("services/credential/domain/staff.py", "from services.credential.application.registry import Registry"),
    ("services/credential/domain/staff.py", "import services.credential.read_models.registry"),
    ("services/training/domain/hours.py", "from services.training import application"),
    ("services/training/domain/year.py", "def later():\n    from litestar import Request\n"),
    ("services/training/domain/year.py", "from contracts.training import PersonYear"),
    ("services/credential/read_models/registry.py", "from services.credential.application.common import today"),
    ("services/credential/application/certificates.py", "from services.credential.http.dates import OnDate"),
    ("services/training/application/posting.py", "from litestar.exceptions import HTTPException"),
    ("services/credential/http/staff.py", "from services.credential.read_models.registry import RegistryProjection"),
    ("services/credential/http/staff.py", "from services.credential.domain.staff import Staff"),
    ("services/credential/badges/cose.py", "from services.credential.application.badges import Badges"),
])
def test_the_layer_check_fails_on_a_violation(path, source):
    assert layer_violations(path, source)


@pytest.mark.parametrize(("path", "source"), [
    ("services/credential/http/staff.py", "from services.credential.application.registry import Registry\nimport litestar"),
    ("services/training/application/posting.py", "from services.training.read_models.people import People"),
    ("services/credential/app.py", "from services.credential.http.staff import StaffController"),
])
def test_the_layer_check_allows_what_the_layers_allow(path, source):
    assert layer_violations(path, source) == []
