"""Each kind of domain error answers with one HTTP status, and only the HTTP layer knows which.

The domain raises ``Invalid``, ``Conflict``, ... with a stable ``code``; ``shared/http/problems.py``
turns them into problem+json. A new kind of error must be given its status here on purpose:
one this test does not list fails it, rather than quietly answering 422.
"""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from litestar import Litestar, get
from litestar.params import FromPath
from litestar.testing import TestClient

import services
import shared
from shared.audit.authentication import EventNotAuthenticated
from shared.audit.checkpoint import CheckpointKeyMissing
from shared.audit.projections import EventOutOfOrder
from shared.errors import Conflict, DomainError, Forbidden, Invalid, NotFound, ReadModelStalled, UntrustedLog
from shared.http.problems import invalid_parameter, problem_details_plugin, status_of

EXPECTED = {
    DomainError: (422, "rule_violated"),
    Invalid: (422, "invalid_field"),
    NotFound: (404, "not_found"),
    Conflict: (409, "conflict"),
    Forbidden: (403, "forbidden"),
    ReadModelStalled: (503, "read_model_stalled"),
    UntrustedLog: (503, "untrusted_log"),
    CheckpointKeyMissing: (503, "checkpoint_key_missing"),
    EventNotAuthenticated: (503, "event_not_authenticated"),
    EventOutOfOrder: (503, "event_out_of_order"),
}


def _an(kind: type[DomainError]) -> DomainError:
    if kind is EventNotAuthenticated:
        return EventNotAuthenticated("7f0c4b5e-0000-4000-8000-000000000000", 3, "tag mismatch", position=12)
    if kind is EventOutOfOrder:
        return EventOutOfOrder("7f0c4b5e-0000-4000-8000-000000000000", 3, 1, 12)
    return kind("what the rule refused", field="hours")


def _every_error_class() -> set[type[DomainError]]:
    for package in (shared, services):
        for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            importlib.import_module(module.name)
    found: set[type[DomainError]] = set()
    todo = [DomainError]
    while todo:
        kind = todo.pop()
        if kind.__module__.startswith(("shared.", "services.")):
            found.add(kind)
        todo.extend(kind.__subclasses__())
    return found


def test_every_domain_error_in_the_code_has_a_status_stated_here():
    unlisted = {f"{k.__module__}.{k.__qualname__}" for k in _every_error_class() - EXPECTED.keys()}
    assert not unlisted, f"state the HTTP status of {sorted(unlisted)} in EXPECTED and in shared/http/problems.py"


def test_the_domain_errors_carry_no_http_status():
    assert not [k for k in EXPECTED if "status" in vars(k)]


@pytest.fixture(scope="module")
def client():
    raised: dict[str, DomainError] = {}

    @get("/raise/{name:str}", sync_to_thread=False)
    def raise_it(name: FromPath[str]) -> None:
        raise raised[name]

    app = Litestar([raise_it], plugins=[problem_details_plugin()])
    with TestClient(app) as test_client:
        test_client.raised = raised  # type: ignore[attr-defined]
        yield test_client


@pytest.mark.parametrize("kind", list(EXPECTED), ids=lambda k: k.__name__)
def test_each_error_answers_its_status_and_code(client, kind):
    status, code = EXPECTED[kind]
    error = _an(kind)
    client.raised[kind.__name__] = error
    answer = client.get(f"/raise/{kind.__name__}")
    assert (answer.status_code, answer.json()["code"]) == (status, code)
    assert status_of(error) == status
    assert answer.headers["content-type"].startswith("application/problem+json")


def test_a_field_error_names_the_field(client):
    client.raised["field"] = Invalid("must be positive", field="hours", code="hours_not_positive")
    body = client.get("/raise/field").json()
    assert body["code"] == "hours_not_positive"
    assert body["errors"] == [{"field": "hours", "message": "must be positive", "source": "body"}]


def test_a_new_kind_answers_as_its_nearest_mapped_ancestor():
    class Gone(NotFound):
        code = "gone"

    assert status_of(Gone("it went")) == 404


def test_a_bad_query_or_path_parameter_is_named_where_it_is():
    @get("/ledger/{year:int}", sync_to_thread=False)
    def ledger(year: FromPath[int]) -> None:
        raise invalid_parameter("year", "year must be between 2000 and 2100", source="path")

    with TestClient(Litestar([ledger], plugins=[problem_details_plugin()])) as client:
        body = client.get("/ledger/1999").json()
    assert (body["status"], body["code"]) == (422, "invalid_field")
    assert body["errors"] == [{"field": "year", "message": "year must be between 2000 and 2100", "source": "path"}]
