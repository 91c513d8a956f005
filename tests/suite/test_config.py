"""The suite's own configuration says what is wrong in one sentence."""

import pytest

from support.config import ConfigError, load_config, websocket_base


@pytest.fixture(autouse=True)
def no_grizz_environment(monkeypatch):
    for key in ("ENGINE_URL", "REDIS_URL", "DATABASE_URL", "JWT_SECRET", "MODEL_URL",
                "ENGINE_DIR", "ENGINE_PORT"):
        monkeypatch.delenv(f"GRIZZ_{key}", raising=False)


EXTERNAL = {"engine_url": "http://localhost:8000", "redis_url": "redis://localhost:6379/0",
            "database_url": "postgresql://postgres:postgres@localhost:54322/postgres",
            "jwt_secret": "super-secret"}


def test_nothing_configured_means_embedded():
    """With no external settings the suite starts its own stack."""
    config = load_config({})
    assert config.mode == "embedded"
    assert (config.engine_dir / "launcher.py").is_file()


def test_all_four_settings_mean_external():
    """The four external settings switch to external mode and keep their values."""
    config = load_config(EXTERNAL)
    assert config.mode == "external"
    assert config.engine_url == "ws://localhost:8000"
    assert config.jwt_secret == "super-secret"


def test_environment_variables_are_read_and_userdata_wins(monkeypatch):
    """GRIZZ_* variables are read when no userdata is given for that key."""
    for key, value in EXTERNAL.items():
        monkeypatch.setenv(f"GRIZZ_{key.upper()}", value)
    config = load_config({"engine_url": "ws://127.0.0.1:9000"})
    assert config.engine_url == "ws://127.0.0.1:9000"
    assert config.redis_url == EXTERNAL["redis_url"]


def test_partial_external_settings_name_what_is_missing():
    """Half an external configuration is refused, naming the missing variables."""
    with pytest.raises(ConfigError, match="missing: GRIZZ_REDIS_URL, GRIZZ_JWT_SECRET"):
        load_config({"engine_url": "ws://localhost:8000",
                     "database_url": EXTERNAL["database_url"]})


@pytest.mark.parametrize("url", ["localhost:8000", "ftp://localhost:8000", "ws://"])
def test_a_wrong_engine_url_says_how_to_write_one(url):
    """An engine URL that is not ws:// or http:// is refused with an example."""
    with pytest.raises(ConfigError, match="ws://localhost:8000"):
        websocket_base(url)


def test_a_wrong_redis_url_says_how_to_write_one():
    """A Redis URL without the redis:// scheme is refused with an example."""
    with pytest.raises(ConfigError, match="redis://localhost:6379/0"):
        load_config({**EXTERNAL, "redis_url": "localhost:6379"})


def test_an_engine_dir_without_launcher_is_refused(tmp_path):
    """GRIZZ_ENGINE_DIR must point at an engine checkout."""
    with pytest.raises(ConfigError, match="no launcher.py"):
        load_config({"engine_dir": str(tmp_path)})


def test_a_port_that_is_not_a_number_is_refused(tmp_path):
    """GRIZZ_ENGINE_PORT must be a port number."""
    (tmp_path / "launcher.py").write_text("")
    with pytest.raises(ConfigError, match="not a port number"):
        load_config({"engine_port": "eighty", "engine_dir": str(tmp_path)})
