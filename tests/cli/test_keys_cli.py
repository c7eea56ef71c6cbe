"""An operator manages API keys from the command line; the services honour them at once."""

from __future__ import annotations

import re

import pytest
from litestar.testing import TestClient

from carecred.cli import main
from services.credential.app import create_app
from tests.conftest import bearer


@pytest.fixture
def env(settings, monkeypatch):
    """Point the CLI at this test's storage through the environment, as an operator would."""
    monkeypatch.setenv("CARECRED_DATA_DIR", settings.data_dir)
    monkeypatch.setenv("CARECRED_STORAGE", "postgres" if settings.uses_postgres else "sqlite")
    monkeypatch.setenv("CARECRED_ID_HASH_KEY", settings.id_hash_key)
    if settings.uses_postgres:
        monkeypatch.setenv("CARECRED_DATABASE_URL", settings.database_url)
        monkeypatch.setenv("CARECRED_SCHEMA_PREFIX", settings.schema_prefix)
        monkeypatch.setenv("CARECRED_CHECKPOINT_KEY", settings.checkpoint_key)
    return settings


def create(capsys, *args: str) -> tuple[str, str]:
    assert main(["keys", "create", *args]) == 0
    out = capsys.readouterr().out
    return re.search(r"key id:\s+(\S+)", out).group(1), re.search(r"token:\s+(\S+)", out).group(1)


def test_a_key_created_at_the_command_line_works_and_is_shown_once(env, capsys):
    key_id, token = create(capsys, "--role", "registrar", "--name", "Jinshan bureau")
    assert main(["keys", "list"]) == 0
    listing = capsys.readouterr().out
    assert key_id in listing and "registrar" in listing and token not in listing
    with TestClient(create_app(env)) as client:
        assert client.get("/v1/nurseries", headers=bearer(token)).status_code == 200


def test_a_revoked_key_is_refused_at_once(env, capsys):
    key_id, token = create(capsys, "--role", "registrar", "--name", "temp")
    with TestClient(create_app(env)) as client:
        assert client.get("/v1/nurseries", headers=bearer(token)).status_code == 200
        assert main(["keys", "revoke", key_id, "--reason", "left the job"]) == 0
        response = client.get("/v1/nurseries", headers=bearer(token))
        assert response.status_code == 401 and response.json()["code"] == "unauthenticated"
    assert main(["keys", "list"]) == 0
    assert "revoked" in capsys.readouterr().out


def test_a_scoped_role_without_scope_is_refused(env, capsys):
    assert main(["keys", "create", "--role", "hr", "--name", "no nursery"]) == 2
    assert "needs a scope" in capsys.readouterr().err


def test_one_key_works_on_both_services(env, capsys):
    from services.training.app import create_app as create_training

    _, token = create(capsys, "--role", "auditor", "--name", "audit office")
    with TestClient(create_training(env)) as client:
        assert client.get("/v1/keys", headers=bearer(token)).status_code == 200


@pytest.mark.parametrize(("args", "field"), [
    (["--role", "hr", "--scope", "not-a-uuid", "--name", "HR"], "scope"),
    (["--role", "auditor", "--name", "审计\u202e"], "name"),
    (["--role", "auditor", "--name", "\u3000"], "name"),
])
def test_the_command_line_keeps_the_input_policy(env, capsys, args, field):
    assert main(["keys", "create", *args]) == 2
    assert field in capsys.readouterr().err
    assert main(["keys", "list"]) == 0
    assert capsys.readouterr().out.strip() == ""
