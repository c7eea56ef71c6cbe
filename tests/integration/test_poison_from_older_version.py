"""A store that already holds an event an older version could not project recovers the documented way.

Each test stores the poison the way an older version did (straight through the application,
past today's HTTP validation), shows that only the read model that cannot apply it stalls,
then deploys the fix (a new process with the fixed projection) and shows the read model
catching up by itself, with nothing lost. docs/read-model-stalls.md is the runbook.
"""

from __future__ import annotations

import datetime as dt
from uuid import UUID

from litestar.testing import TestClient

from contracts.command import as_stored
from services.credential.app import create_app
from services.credential.domain.badges import Badge
from services.credential.read_models.badges import BadgeProjection
from services.credential.application.common import today
from services.training.application import TrainingRecords
from shared import persistence
from shared.idnumber import make_valid
from tests.conftest import issue
from tests.integration.training_world import approve, completion, learn_people, provider_actor

SYSTEM = {"role": "test"}
SHARED_NUMBER = "JS0004-HE"  # the demo's health workers: 保健员证 and 健康证 numbered alike
OLD_BADGE_CERTIFICATES = (
    "CREATE TABLE badge_certificates (badge_id TEXT NOT NULL, number TEXT NOT NULL, type TEXT NOT NULL,"
    " expires_on TEXT NOT NULL, status TEXT NOT NULL, PRIMARY KEY (badge_id, number))"
)


def run_the_older_version(app, monkeypatch) -> None:
    """The badge tables, and the handler filling them, as releases before the fix had them."""
    app.badges
    with app.store.transaction(commit=True) as cur:
        cur.execute("DROP TABLE badge_certificates")
        cur.execute(OLD_BADGE_CERTIFICATES)
        cur.execute("DELETE FROM read_model_schemas WHERE read_model = 'badges'")

    def older_badge_issued(self, cur, e, position):
        cur.execute(
            "INSERT INTO badges (badge_id, status_index, staff_id, nursery_id, roles, kid, issued_at, expires_at,"
            " badge_status, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'active', 'active')",
            (str(e.originator_id), e.status_index, e.staff_id, e.nursery_id, ",".join(e.roles), e.kid, e.issued_at,
             e.expires_at),
        )
        cur.executemany(
            "INSERT INTO badge_certificates (badge_id, number, type, expires_on, status) VALUES (?, ?, ?, ?, 'active')",
            [(str(e.originator_id), c["number"], c["type"], c["expires_on"]) for c in e.certificates],
        )

    monkeypatch.setitem(BadgeProjection._handlers, Badge.Issued, older_badge_issued)


def health_worker_with_a_badge(client, app) -> tuple[str, str, dict]:
    """A health worker whose two certificates share a number, assigned and issued a badge over HTTP."""
    registrar = issue(app, "registrar")
    nursery = client.post("/v1/nurseries", json={"name": "朱泾一托", "town": "朱泾镇", "ownership": "public",
                                                 "inclusive": True}, headers=registrar).json()["nursery_id"]
    staff = client.post("/v1/staff", json={"name": "周敏", "id_number": make_valid("31011619850101002"),
                                           "nursery_id": nursery}, headers=registrar).json()["staff_id"]
    certificates = {}
    for cert_type in ("health_worker", "health"):
        body = {"cert_type": cert_type, "number": SHARED_NUMBER, "issuing_body": "金山区",
                "issued_on": (today() - dt.timedelta(days=30)).isoformat(),
                "expires_on": (today() + dt.timedelta(days=300)).isoformat(), "holder_id": staff}
        response = client.post("/v1/certificates", json=body, headers=registrar)
        assert response.status_code == 201, response.text
        certificates[cert_type] = response.json()["certificate_id"]
    hr = issue(app, "hr", nursery)
    assigned = client.post("/v1/assignments", json={"staff_id": staff, "role": "health_worker",
                                                    "start_on": today().isoformat()}, headers=hr)
    assert assigned.status_code == 201, assigned.text
    badge = client.post("/v1/badges", json={"staff_id": staff}, headers=hr)
    assert badge.status_code == 201, badge.text
    return staff, badge.json()["badge_id"], {"registrar": registrar, "hr": hr, "qr": badge.json()["qr_text"],
                                             **certificates}


def test_a_badge_the_older_badge_read_model_could_not_hold_recovers_when_the_fix_is_deployed(settings, monkeypatch):
    with TestClient(create_app(settings)) as client:
        app = client.app.state.service
        app.badges.keys.ensure(SYSTEM)
        run_the_older_version(app, monkeypatch)
        staff, badge_id, ctx = health_worker_with_a_badge(client, app)
        inspector = issue(app, "inspector")

        # Only the badge read model stalls: badges, verification, the public lists answer 503 naming it ...
        shown = client.get(f"/v1/badges/{badge_id}", headers=ctx["registrar"])
        assert shown.status_code == 503 and shown.json()["read_model"] == "badges"
        assert client.post("/v1/verify", json={"qr": ctx["qr"]}, headers=inspector).json()["code"] == "read_model_stalled"
        assert client.get("/.well-known/carecred/status-list").status_code == 503
        assert [s["read_model"] for s in client.get("/ready").json()["stalled_read_models"]] == ["badges"]
        # ... and a suspension, which must reach the badges showing the certificate, changes nothing.
        version = app.repository.get(UUID(ctx["health"])).version
        refused = client.post(f"/v1/certificates/{ctx['health']}/suspend", json={"reason": "检查逾期"},
                              headers=ctx["registrar"])
        assert refused.status_code == 503 and app.repository.get(UUID(ctx["health"])).version == version
        # The rest of the service answers: the person's profile, certificates, the roster.
        profile = client.get(f"/v1/staff/{staff}/profile", headers=ctx["registrar"])
        assert profile.status_code == 200 and len(profile.json()["certificates"]) == 2

    # The fix deployed: a new process sees the badge tables changed, rebuilds them from the log by itself.
    monkeypatch.undo()
    with TestClient(create_app(settings)) as client:
        app = client.app.state.service
        app.resumer.join(timeout=60)
        assert app.stalled_read_models() == []
        inspector = issue(app, "inspector")
        badge = client.get(f"/v1/badges/{badge_id}", headers=ctx["registrar"]).json()
        assert sorted((c["type"], c["number"]) for c in badge["certificates"]) == [
            ("health", SHARED_NUMBER), ("health_worker", SHARED_NUMBER)]
        assert client.post("/v1/verify", json={"qr": ctx["qr"]}, headers=inspector).json()["verdict"] == "valid"

        # Now each certificate is itself: suspending the 健康证 marks it alone, and the badge is suspended.
        suspended = client.post(f"/v1/certificates/{ctx['health']}/suspend", json={"reason": "检查逾期"},
                                headers=ctx["registrar"])
        assert suspended.status_code == 200
        badge = client.get(f"/v1/badges/{badge_id}", headers=ctx["registrar"]).json()
        assert badge["status"] == "suspended"
        assert {c["type"]: c["status"] for c in badge["certificates"]} == {"health": "suspended",
                                                                            "health_worker": "active"}
        assert client.get("/ready").status_code == 200


def test_a_completion_with_nul_in_its_event_id_recovers_when_the_projection_is_made_total(settings, monkeypatch):
    """NUL cannot be in PostgreSQL text: the ledger stalled on such an event id (stored before it was refused)."""
    app = TrainingRecords(settings)
    try:
        provider = approve(app)
        wang, li = learn_people(app, 2)
        app.posting.post_completions(provider, [completion("E1", wang)], provider_actor(provider))
        # What the projection did before it was made total: NUL went to the database as it was.
        monkeypatch.setattr(persistence, "postgres_text", lambda value: value)
        with as_stored():  # the older version let NUL through its boundary; today's refuses it (test_input_policy)
            older = [completion("E2\x00", wang, course="SK02"), completion("E3", li, course="SK03")]
        poison = app.posting.post_completions(provider, older, provider_actor(provider))
        assert [o.outcome for o in poison] == ["created", "created"]  # both stored

        stalled = app.stalled_read_models()
        if settings.uses_postgres:
            assert [(s.read_model, s.topic) for s in stalled] == [("ledger", "carecred.training:Completion.Recorded.v1")]
            # The feed stops at the event before: the credential service is never told totals the ledger lacks.
            feed = app.publisher.page(0, 100)
            assert [item.event.staff_id for item in feed.items] == [wang]
            assert feed.next_after < stalled[0].failed_position < feed.head
            assert app.catalogue.catalogue_rows(provider)[0]["code"] == "SOU"  # the catalogue goes on
        else:
            assert stalled == []  # SQLite holds NUL: nothing to recover from

        monkeypatch.undo()  # the fix deployed: NUL becomes U+FFFD on PostgreSQL (shared.persistence.postgres_text)
        assert app.resume_stalled() == []
        rows = app.posting.ledger_rows([o.completion_id for o in poison])
        expected = "E2\ufffd" if settings.uses_postgres else "E2\x00"
        assert sorted(r["event_id"] for r in rows.values()) == sorted([expected, "E3"])
        assert app.ledger.person_year(UUID(wang), 2025).skills.earned == 16 and app.ledger.person_year(UUID(li), 2025).skills.earned == 8
        assert [item.event.staff_id for item in app.publisher.page(0, 100).items] == [wang, wang, li]
    finally:
        app.close()
