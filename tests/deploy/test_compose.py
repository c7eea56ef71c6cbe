"""compose.yaml, tested without Docker: valid against the Compose specification, and each
service's command line, as written in the file, starts and passes its health check locally
against the local PostgreSQL."""

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

import jsonschema
import pytest
import yaml

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
    for name in CARECRED_SERVICES:
        service = compose["services"][name]
        assert service["depends_on"]["db"]["condition"] == "service_healthy"
        assert service["healthcheck"]["test"][:2] == ["CMD", "carecred"]


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
    return [sys.executable, "-m", "carecred.cli", *argv[1:]]


@pytest.mark.postgres
@pytest.mark.parametrize("name", CARECRED_SERVICES)
def test_each_service_command_from_the_file_starts_and_becomes_healthy(compose, name, tmp_path):
    require_postgres()
    service = compose["services"][name]
    env = {k: _interpolate(str(v)) for k, v in service["environment"].items()}
    prefix = f"t{uuid.uuid4().hex[:10]}_"
    port = _free_port()
    # Only the addresses differ from the file: the local test database and a free port.
    env.update(
        CARECRED_DATABASE_URL=TEST_DATABASE_URL,
        CARECRED_SCHEMA_PREFIX=prefix,
        **{f"CARECRED_{name.upper()}_PORT": str(port)},
        CARECRED_DATA_DIR=str(tmp_path),
    )
    full_env = {**os.environ, **env}
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
        drop_schemas(prefix)


def test_the_schema_check_would_catch_a_broken_file(compose):
    if not SCHEMA.exists():
        pytest.skip(f"Compose specification schema not found at {SCHEMA}")
    broken = json.loads(json.dumps(compose))
    broken["services"]["credential"]["depends_on"]["db"]["condition"] = "whenever"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(json.loads(SCHEMA.read_text())).validate(broken)
