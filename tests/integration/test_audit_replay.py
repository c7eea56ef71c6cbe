"""An auditor rebuilds every read model from the event log alone and finds them the same as the live ones."""

from uuid import UUID

import pytest

from carecred.cli import main
from services.credential.application import Credentials
from services.training.application import TrainingRecords
from shared.audit.replay import replay
from shared.projection import Projector
from tests.audit_support import audit_settings, seed_district, use_settings  # noqa: F401
from tests.integration.inspection_world import INSPECTION_TOPICS, inspection_season


@pytest.fixture
def credentials(audit_settings):  # noqa: F811
    app = Credentials(audit_settings)
    yield app
    app.close()


def test_replaying_a_seeded_district_gives_the_same_read_models(credentials):
    seed_district(credentials)
    report = replay(credentials)
    assert report.events == 17
    assert {"nurseries", "staff", "staff_nursery", "api_keys", "aggregate_versions", "merkle_leaves"} <= set(report.tables)
    assert report.identical, [d.describe() for d in report.differences]


def test_a_read_model_changed_behind_the_log_is_reported_row_by_row(credentials):
    seeded = seed_district(credentials)
    victim = seeded["staff"][3]
    with credentials.store.transaction(commit=True) as cur:
        cur.execute("UPDATE staff SET name = ? WHERE staff_id = ?", ("假名字", victim.staff_id))
        cur.execute("DELETE FROM staff_nursery WHERE staff_id = ?", (victim.staff_id,))
    report = replay(credentials)
    assert not report.identical
    by_table = {d.table: d for d in report.differences}
    assert set(by_table) == {"staff", "staff_nursery"}
    assert by_table["staff"].only_live == 1 and by_table["staff"].only_rebuilt == 1
    assert "假名字" in by_table["staff"].examples_live[0] and victim.name in by_table["staff"].examples_rebuilt[0]
    assert by_table["staff_nursery"].only_live == 0 and by_table["staff_nursery"].only_rebuilt == 1
    assert victim.staff_id in by_table["staff_nursery"].examples_rebuilt[0]


def test_replay_reads_the_log_in_pages(credentials, monkeypatch):
    seed_district(credentials)
    monkeypatch.setattr(Projector, "BATCH", 4)
    batches: list[int] = []
    report = replay(credentials, progress=lambda position, events: batches.append(events))
    assert report.identical and sum(batches) == 17 and max(batches) == 4 and len(batches) == 5


def test_the_replay_command_draws_progress_and_fails_on_a_difference(audit_settings, monkeypatch, capsys):  # noqa: F811
    use_settings(monkeypatch, audit_settings)
    app = Credentials(audit_settings)
    seeded = seed_district(app)
    app.close()
    assert main(["replay", "--service", "credential"]) == 0
    said = capsys.readouterr()
    assert "ev/s" in said.err and "17/17" in said.err
    assert "replayed 17 events" in said.out and "read models identical" in said.out

    app = Credentials(audit_settings)
    with app.store.transaction(commit=True) as cur:
        cur.execute("UPDATE api_keys SET revoked_at = NULL WHERE key_id = ?", (seeded["revoked_key"],))
    app.close()
    assert main(["replay", "--service", "credential"]) == 1
    said = capsys.readouterr().out
    assert "table api_keys: 1 row(s) only in the live table, 1 row(s) only in the rebuilt table" in said
    assert "1 table(s) differ" in said


def test_the_training_service_replays_too(audit_settings):  # noqa: F811
    app = TrainingRecords(audit_settings)
    try:
        key_id, _ = app.issue_key(role="auditor", scope=None, name="审计 陈", actor={"role": "test"})
        app.revoke_key(UUID(key_id), reason="audit finished", actor={"role": "test"})
        report = replay(app)
        assert report.events == 2 and report.identical
    finally:
        app.close()


def test_an_inspection_season_replays_to_the_same_read_models(credentials):
    inspection_season(credentials)
    topics = {r["topic"] for r in credentials.store.query("SELECT DISTINCT topic FROM merkle_leaves")}
    assert INSPECTION_TOPICS <= topics, INSPECTION_TOPICS - topics
    report = replay(credentials)
    assert {"inspectors", "inspector_conflicts", "inspection_draw_rounds", "inspection_visits", "inspection_scans",
            "inspection_findings"} <= set(report.tables)
    assert report.identical, [d.describe() for d in report.differences]
