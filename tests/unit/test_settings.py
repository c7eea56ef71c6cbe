"""Settings come from the environment through one Struct."""

import pytest

from shared.settings import Settings


def test_defaults_are_embedded_sqlite():
    settings = Settings.from_env({})
    assert not settings.uses_postgres
    assert settings.data_dir == "./data"


def test_a_database_url_selects_postgres_and_is_parsed():
    settings = Settings.from_env({"CARECRED_DATABASE_URL": "postgresql://care:s%40cret@db.local:6543/carecred"})
    assert settings.uses_postgres
    assert settings.postgres_params() == {
        "host": "db.local", "port": "6543", "dbname": "carecred", "user": "care", "password": "s@cret",
    }


def test_the_usual_libpq_variables_select_postgres():
    settings = Settings.from_env({"PGHOST": "10.0.0.5", "PGPORT": "5433", "PGDATABASE": "cc", "PGUSER": "u"})
    assert settings.uses_postgres
    assert settings.postgres_params()["port"] == "5433"


def test_a_wrongly_typed_setting_is_refused_with_its_name():
    with pytest.raises(SystemExit, match="credential_port"):
        Settings.from_env({"CARECRED_CREDENTIAL_PORT": "eighty"})


def test_postgres_without_an_id_hash_key_refuses_to_start():
    with pytest.raises(SystemExit, match="CARECRED_ID_HASH_KEY"):
        Settings.from_env({"PGHOST": "x"}).resolved_id_hash_key()


def test_embedded_mode_keeps_a_generated_id_hash_key(tmp_path):
    settings = Settings.from_env({"CARECRED_DATA_DIR": str(tmp_path)})
    key = settings.resolved_id_hash_key()
    assert len(key) == 32 and settings.resolved_id_hash_key() == key
