"""compose.yaml, tested without Docker: valid against the Compose specification, and each
service's command line, as written in the file, starts and passes its health check locally
against the local PostgreSQL, after the file's `migrate` step has run the way compose runs it:
as the owner, once, before the services, which then connect as the append-only role."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import jsonschema
import psycopg
import pytest
import yaml
from psycopg import sql

from tests.conftest import TEST_DATABASE_URL, drop_schemas, require_postgres

REPO = Path(__file__).resolve().parents[2]
SCHEMA = REPO.parent / "shared" / "conformance" / "compose-spec" / "compose-spec.json"
CARECRED_SERVICES = ("credential", "training")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((REPO / "compose.yaml").read_text())


def test_compose_file_is_valid_against_the_compose_specification(compose):
    if not SCHEMA.exists():
        if os.environ.get("CI"):
            pytest.fail(f"Compose specification schema not found at {SCHEMA} (CI has shared/ beside the clone)")
        pytest.skip(f"Compose specification schema not found at {SCHEMA}")
    # The schema names draft-07 (without the trailing "#" the library looks for).
    jsonschema.Draft7Validator(json.loads(SCHEMA.read_text())).validate(compose)


def test_database_has_a_health_check_and_services_wait_for_it(compose):
    assert compose["services"]["db"]["healthcheck"]["test"]
    assert compose["services"]["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    for name in CARECRED_SERVICES:
        service = compose["services"][name]
        assert service["depends_on"]["db"]["condition"] == "service_healthy"
        assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert service["healthcheck"]["test"][:2] == ["CMD", "carecred"]


def test_the_services_run_as_another_role_than_the_owner_who_migrates(compose):
    owner = urlsplit(_interpolate(compose["services"]["migrate"]["environment"]["CARECRED_DATABASE_URL"])).username
    assert compose["services"]["migrate"]["command"][:3] == ["carecred", "db", "migrate"]
    app_role = _interpolate(compose["services"]["migrate"]["command"][-1])
    for name in CARECRED_SERVICES:
        env = compose["services"][name]["environment"]
        assert urlsplit(_interpolate(env["CARECRED_DATABASE_URL"])).username == app_role != owner
        assert env["CARECRED_CREATE_EVENT_TABLES"] == "false"


def test_the_dockerfile_copies_only_what_exists(compose):
    for name in CARECRED_SERVICES:
        assert compose["services"][name]["build"] == "."
    for line in (REPO / "Dockerfile").read_text().splitlines():
        if line.startswith("COPY "):
            for source in line.split()[1:-1]:
                assert (REPO / source).exists(), f"Dockerfile copies missing {source}"


def _interpolate(value: str) -> str:
    """Compose's ${VAR:-default} and ${VAR} against the current environment."""

    def replace(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(3) or ""
        return os.environ.get(name, default)

    return re.sub(r"\$\{([A-Z0-9_]+)(:-([^}]*))?\}", replace, value)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _local(argv: list[str]) -> list[str]:
    assert argv[0] == "carecred"
    return [sys.executable, "-m", "carecred.cli", *(_interpolate(a) for a in argv[1:])]


def _to_test_database(url: str) -> str:
    """The file's database URL with the test server's address: same role and password, local host and database."""
    test, file = urlsplit(TEST_DATABASE_URL), urlsplit(url)
    userinfo = file.netloc.rpartition("@")[0]
    return urlunsplit((file.scheme, f"{userinfo}@{test.netloc.rpartition('@')[2]}", test.path, "", ""))


@pytest.fixture
def deployment(monkeypatch, tmp_path):
    """A schema prefix and app role of this test's own (roles are shared by the whole server); dropped afterwards."""
    require_postgres()
    prefix = f"t{uuid.uuid4().hex[:10]}_"
    role = f"{prefix}app"
    monkeypatch.setenv("CARECRED_APP_ROLE", role)  # the file's ${CARECRED_APP_ROLE:-carecred_app}
    yield {"prefix": prefix, "role": role, "data": tmp_path}
    drop_schemas(prefix)
    with psycopg.connect(TEST_DATABASE_URL, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone():
            conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
            conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


def _environment(service: dict, deployment: dict, owner: bool) -> dict[str, str]:
    """The service's environment from the file; only addresses differ: the local test database, a free port."""
    env = {k: _interpolate(str(v)) for k, v in service["environment"].items()}
    # The file's owner is the database's own user; the test server's superuser plays that part.
    env["CARECRED_DATABASE_URL"] = TEST_DATABASE_URL if owner else _to_test_database(env["CARECRED_DATABASE_URL"])
    env.update(CARECRED_SCHEMA_PREFIX=deployment["prefix"], CARECRED_DATA_DIR=str(deployment["data"]))
    return {**os.environ, **env}


def _migrate(compose: dict, deployment: dict) -> None:
    """Run the file's one-shot `migrate` service as compose would before the others; it must succeed."""
    service = compose["services"]["migrate"]
    result = subprocess.run(_local(service["command"]), env=_environment(service, deployment, owner=True), cwd=REPO,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr  # service_completed_successfully
    assert f"{deployment['role']} may only append history" in result.stdout


@pytest.mark.postgres
def test_the_migrate_step_makes_the_services_role_append_only(compose, deployment):
    _migrate(compose, deployment)
    _migrate(compose, deployment)  # every `docker compose up` runs it again
    with psycopg.connect(TEST_DATABASE_URL, autocommit=True) as conn:
        rights = conn.execute(
            "SELECT privilege_type FROM information_schema.role_table_grants WHERE grantee = %s AND table_schema = %s"
            " AND table_name = 'merkle_leaves' ORDER BY privilege_type", (deployment["role"], f"{deployment['prefix']}credential"),
        ).fetchall()
    assert [r[0] for r in rights] == ["INSERT", "SELECT"]


@pytest.mark.postgres
@pytest.mark.parametrize("name", CARECRED_SERVICES)
def test_each_service_command_from_the_file_starts_and_becomes_healthy(compose, name, deployment):
    _migrate(compose, deployment)
    service = compose["services"][name]
    port = _free_port()
    full_env = {**_environment(service, deployment, owner=False), f"CARECRED_{name.upper()}_PORT": str(port)}
    assert urlsplit(full_env["CARECRED_DATABASE_URL"]).username == deployment["role"]
    command = [*_local(service["command"])]
    command[command.index("0.0.0.0")] = "127.0.0.1"  # bind locally only in tests
    process = subprocess.Popen(command, env=full_env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        health = _local(service["healthcheck"]["test"][1:])
        deadline = time.monotonic() + 30
        while True:
            result = subprocess.run(health, env=full_env, cwd=REPO, capture_output=True, text=True)
            if result.returncode == 0:
                break
            assert process.poll() is None, process.stdout.read().decode()
            assert time.monotonic() < deadline, f"{name} never became healthy: {result.stderr}"
            time.sleep(0.3)
        assert f"{name} ready" in result.stdout
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_schema_check_would_catch_a_broken_file(compose):
    if not SCHEMA.exists():
        pytest.skip(f"Compose specification schema not found at {SCHEMA}")
    broken = json.loads(json.dumps(compose))
    broken["services"]["credential"]["depends_on"]["db"]["condition"] = "whenever"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(json.loads(SCHEMA.read_text())).validate(broken)
