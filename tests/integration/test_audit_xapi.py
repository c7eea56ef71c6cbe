"""xAPI statements are part of the audited history: exported with the log, and replay rebuilds the statement store."""

from __future__ import annotations

import json
import uuid

import pytest

from contracts.keys import Role
from shared.audit.replay import replay
from tests.audit_support import audit_settings  # noqa: F401
from tests.conftest import issue
from tests.integration.test_xapi import statement, world


@pytest.fixture
def lrs(audit_settings):  # noqa: F811
    from litestar.testing import TestClient

    from services.training.app import create_app

    with TestClient(create_app(audit_settings)) as client:
        yield client


def store_some_statements(client) -> tuple[object, list[str]]:
    """A counted statement, one not counted, and the counted one voided."""
    app, provider_id, (person, _), auth = world(client)
    counted, other = str(uuid.uuid4()), str(uuid.uuid4())
    client.put(f"/xapi/statements?statementId={counted}", json=statement(app, person), headers=auth)
    client.put(f"/xapi/statements?statementId={other}",
               json=statement(app, person, verb="http://adlnet.gov/expapi/verbs/attempted"), headers=auth)
    voiding = {**statement(app, person, verb="http://adlnet.gov/expapi/verbs/voided"),
               "object": {"objectType": "StatementRef", "id": counted}}
    assert client.post("/xapi/statements", json=voiding, headers=auth).status_code == 200
    return app, [counted, other]


def test_replay_rebuilds_the_statement_store_the_same(lrs):
    app, _ = store_some_statements(lrs)
    report = replay(app)
    assert {"xapi_statements", "xapi_statement_refs", "xapi_attachments", "completions"} <= set(report.tables)
    assert report.identical, [d.describe() for d in report.differences]


def test_a_statement_store_changed_behind_the_log_is_reported(lrs):
    app, (counted, other) = store_some_statements(lrs)
    with app.store.transaction(commit=True) as cur:
        cur.execute("UPDATE xapi_statements SET voided = FALSE WHERE statement_id = ?", (counted,))
        cur.execute("DELETE FROM xapi_statements WHERE statement_id = ?", (other,))
    report = replay(app)
    assert not report.identical
    differing = {d.table: d for d in report.differences}
    assert set(differing) == {"xapi_statements"}
    assert differing["xapi_statements"].only_rebuilt == 2 and differing["xapi_statements"].only_live == 1


def test_the_audit_export_holds_each_statement_as_stored(lrs):
    app, (counted, other) = store_some_statements(lrs)
    lines = [json.loads(line) for line in
             lrs.get("/v1/audit/export", headers=issue(app, Role.AUDITOR)).text.splitlines()]
    topics = [line["topic"] for line in lines]
    assert topics.count("carecred.training:Statement.Stored.v1") == 3
    assert "carecred.training:Completion.Recorded.v1" in topics and "carecred.training:Completion.Reversed.v1" in topics
    assert topics.index("carecred.training:Completion.Recorded.v1") < topics.index("carecred.training:Statement.Stored.v1")
