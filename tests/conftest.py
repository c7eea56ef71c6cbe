"""Fixtures shared by every test: storage on SQLite and on the real PostgreSQL server.

Every test that touches storage takes ``settings`` and so runs twice: on a SQLite file in a
temporary directory and on PostgreSQL in a schema of its own (dropped afterwards). Without a
PostgreSQL server the PostgreSQL half skips on a laptop and fails in CI (``CI`` set).
"""

from __future__ import annotations

import os
import uuid
from typing import Iterator

import psycopg
import pytest
from psycopg import sql

from contracts.keys import Role
from shared.settings import Settings
from tests.api_statuses import (  # noqa: F401 - hooks: observed statuses against the OpenAPI documents
    pytest_runtest_protocol, pytest_sessionfinish, pytest_terminal_summary,
)

TEST_DATABASE_URL = os.environ.get("CARECRED_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
TEST_ID_HASH_KEY = "11" * 32
TEST_AUDIT_SECRET = "44" * 32
"""CARECRED_CHECKPOINT_KEY of the PostgreSQL half (required there; SQLite generates one into its data dir)."""
_pg_problem: str | None = None
_pg_checked = False


def postgres_available() -> str | None:
    """None when the test PostgreSQL server answers, else why not."""
    global _pg_checked, _pg_problem
    if not _pg_checked:
        _pg_checked = True
        try:
            with psycopg.connect(TEST_DATABASE_URL, connect_timeout=3) as conn:
                conn.execute("SELECT 1")
        except psycopg.Error as exc:
            _pg_problem = f"PostgreSQL at {TEST_DATABASE_URL} is not reachable: {exc}".strip()
    return _pg_problem


def require_postgres() -> None:
    problem = postgres_available()
    if problem is None:
        return
    if os.environ.get("CI") or os.environ.get("CARECRED_REQUIRE_POSTGRES"):
        pytest.fail(f"{problem} (CI needs PostgreSQL: start it with "
                    "`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`)")
    pytest.skip(f"{problem}; set CARECRED_TEST_DATABASE_URL to run the PostgreSQL half")


def drop_schemas(prefix: str) -> None:
    with psycopg.connect(TEST_DATABASE_URL, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s", (prefix.replace("_", r"\_") + "%",)
        ).fetchall()
        for (name,) in rows:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(name)))


def make_settings(backend: str, tmp_path, **overrides: object) -> Settings:
    base: dict[str, object] = {
        "data_dir": str(tmp_path / "data"),
        "id_hash_key": TEST_ID_HASH_KEY,
        "auth_failures_per_minute": 100_000,  # the access tests fail on purpose, many times
        "badge_holder_iterations": 100_000,  # the least verifiers accept; the default is tested by the vectors
    }
    if backend == "postgres":
        base.update(storage="postgres", database_url=TEST_DATABASE_URL, pg_pool_size=4,
                    schema_prefix=f"t{uuid.uuid4().hex[:10]}_", checkpoint_key=TEST_AUDIT_SECRET)
    else:
        base.update(storage="sqlite")
    base.update(overrides)
    return Settings.from_env({}, **base)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgres":
        require_postgres()
    return request.param


@pytest.fixture
def settings(backend: str, tmp_path) -> Iterator[Settings]:
    settings = make_settings(backend, tmp_path)
    yield settings
    if backend == "postgres":
        drop_schemas(settings.schema_prefix)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def issue(app, role: Role | str, scope: str | None = None, name: str = "test key") -> dict[str, str]:
    """Issue a key straight through the application and return its Authorization header."""
    _, token = app.issue_key(role=Role(role), scope=scope, name=name, actor={"role": "test"})
    return bearer(token)


@pytest.fixture
def credential_http(settings):
    """The credential service's HTTP app on this storage (``client.app.state.service`` is its application)."""
    from litestar.testing import TestClient

    from services.credential.app import create_app

    with TestClient(create_app(settings)) as client:
        yield client


@pytest.fixture
def training_http(settings):
    """The training service's HTTP app on this storage."""
    from litestar.testing import TestClient

    from services.training.app import create_app

    with TestClient(create_app(settings)) as client:
        yield client
