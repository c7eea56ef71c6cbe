"""Which statuses the tests saw each operation answer, against those its OpenAPI document lists.

The services count every answer they send by method, route template, status and service
(``carecred_requests_total``, kept by ``shared.http.observability.observed`` around the whole
app, so the 401s, 413s and 429s answered before a handler runs are counted too). A test that
drives an app in this process moves that counter; this module reads it around each test and
keeps what moved, with the first test that saw it.

At the end of the session (``pytest_sessionfinish``, hooked in from ``tests/conftest.py``) every
observed status must be documented for its operation, or the run fails and names the test that
saw it; documented statuses no test saw are listed as information. The observations are also
written to ``api-statuses/observed.json`` in pytest's cache (when the cache plugin is on).

The fuzzers (``tests/fuzz``) and the few tests in ``INJECTED`` are left out: what they draw varies from run to run, and their own
check already holds every answer to the documented schema. Requests no route matched (404/405
of unknown paths) and routes left out of the document (pages, metrics, the docs) are not
operations and are not compared.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from shared.http.observability import UNMATCHED
from shared.metrics import REQUESTS

UNRECORDED = ("tests/fuzz/",)
INJECTED = frozenset({
    # GET /v1/keys made to raise the storage's IntegrityError: checks the mapping to 409, not the route
    "tests/reliability/test_storage_failures.py::test_a_concurrent_write_is_still_a_409_not_a_503",
})
"""Tests that inject into a route a failure it cannot meet, to check how such a failure is answered."""


class Seen(NamedTuple):
    service: str
    method: str
    path: str
    status: int


def counts() -> dict[Seen, float]:
    """The request counter now: every (service, method, route template, status) and its count."""
    found: dict[Seen, float] = {}
    for metric in REQUESTS.collect():
        for sample in metric.samples:
            if sample.name.endswith("_total") and sample.labels["path"] != UNMATCHED:
                labels = sample.labels
                found[Seen(labels["app_name"], labels["method"], labels["path"], int(labels["status_code"]))] = sample.value
    return found


@contextmanager
def observing() -> Iterator[set[Seen]]:
    """Collect what was answered inside the block (the set is filled when the block ends)."""
    seen: set[Seen] = set()
    before = counts()
    try:
        yield seen
    finally:
        seen.update(key for key, value in counts().items() if value > before.get(key, 0))


def documented(spec: dict[str, Any]) -> dict[tuple[str, str], set[int]]:
    """(METHOD, path) → the statuses an OpenAPI document lists for the operation."""
    return {
        (method.upper(), path): {int(status) for status in operation.get("responses", {})}
        for path, item in spec.get("paths", {}).items()
        for method, operation in item.items()
        if isinstance(operation, dict) and "responses" in operation
    }


def documents() -> dict[str, dict[str, Any]]:
    """Both services' OpenAPI documents, from apps built on a throw-away SQLite directory."""
    from services.credential.app import create_app as credential
    from shared.http.apidocs import openapi_document
    from services.training.app import create_app as training
    from tests.conftest import make_settings

    with tempfile.TemporaryDirectory(prefix="carecred-openapi-") as data:
        return {name: openapi_document(create(make_settings("sqlite", Path(data) / name)))
                for name, create in (("credential", credential), ("training", training))}


def compare(seen: dict[Seen, str], specs: dict[str, dict[str, Any]]) -> tuple[list[str], list[str]]:
    """(undocumented: observed statuses the document does not list, with the test that saw each;
    never observed: documented statuses of the services the tests reached, as information)."""
    listed = {name: documented(spec) for name, spec in specs.items()}
    undocumented = []
    for item, test in sorted(seen.items()):
        statuses = listed.get(item.service, {}).get((item.method, item.path))
        if statuses is not None and item.status not in statuses:
            undocumented.append(f"{item.service} {item.method} {item.path} answered {item.status} (seen in {test})")
    observed = {(s.service, s.method, s.path, s.status) for s in seen}
    services = {s.service for s in seen}
    never = [f"{name} {method} {path} {status}" for name in sorted(services) for (method, path), statuses in
             sorted(listed.get(name, {}).items()) for status in sorted(statuses)
             if (name, method, path, status) not in observed]
    return undocumented, never


# pytest hooks (imported into tests/conftest.py) ----------------------------------------------

_SEEN = pytest.StashKey[dict[Seen, str]]()
_REPORT = pytest.StashKey[tuple[list[str], list[str]]]()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):
    if item.nodeid.startswith(UNRECORDED) or item.nodeid in INJECTED:
        yield
        return
    with observing() as seen:
        yield
    record = item.config.stash.setdefault(_SEEN, {})
    for key in seen:
        record.setdefault(key, item.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    seen = session.config.stash.get(_SEEN, {})
    if not seen:
        return
    undocumented, never = compare(seen, documents())
    session.config.stash[_REPORT] = (undocumented, never)
    cache = getattr(session.config, "cache", None)
    if cache is not None:
        path = cache.mkdir("api-statuses") / "observed.json"
        path.write_text(json.dumps([{**s._asdict(), "test": t} for s, t in sorted(seen.items())], indent=1))
    if undocumented and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    undocumented, never = config.stash.get(_REPORT, ([], []))
    if never:
        terminalreporter.section("documented statuses no test observed (information)")
        for line in never if config.getoption("verbose") > 0 else []:
            terminalreporter.write_line(line)
        terminalreporter.write_line(f"{len(never)} documented statuses were not observed in this run (-v lists them)")
    if undocumented:
        terminalreporter.section("statuses answered but not in the OpenAPI document", red=True)
        for line in undocumented:
            terminalreporter.write_line(line)
        terminalreporter.write_line("Document them (shared/http/apidocs/operations.py) or fix the answer.", red=True)
