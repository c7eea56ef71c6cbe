"""Replicas starting at the same moment on a fresh database all come up (table creation is serialised)."""

from __future__ import annotations

import threading

import pytest

from services.credential.application import Credentials
from services.training.application import TrainingRecords
from tests.conftest import drop_schemas, make_settings, require_postgres


@pytest.mark.postgres  # replicas share PostgreSQL; embedded SQLite is one process per service
def test_four_replicas_of_each_service_start_together_on_a_fresh_schema(tmp_path):
    require_postgres()
    settings = make_settings("postgres", tmp_path)
    errors: list[BaseException] = []
    apps = []
    start = threading.Barrier(8)

    def boot(kind) -> None:
        try:
            start.wait()
            apps.append(kind(settings))  # the credential service makes its badge tables at start too
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=boot, args=(kind,)) for kind in (Credentials, TrainingRecords) * 4]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    try:
        assert errors == []
        assert len(apps) == 8 and all(app.is_ready() for app in apps)
    finally:
        for app in apps:
            app.close()
        drop_schemas(settings.schema_prefix)
