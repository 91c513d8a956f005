"""Configuration: defaults, validation and the one-line errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.core.config import ConfigError, load_settings

ENGINE_DIR = Path(__file__).resolve().parents[2] / "engine"

BASE = {"SUPABASE_JWT_SECRET": "test-secret"}


def test_defaults_match_the_contract():
    """With only the secret set, limits and timings take the contract's defaults."""
    settings = load_settings(BASE)
    assert (settings.queue_soft_limit, settings.queue_hard_limit) == (3000, 5000)
    assert settings.claim_timeout_ms == 30000
    assert settings.max_deliveries == 3
    assert settings.result_ttl_s == 300
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert settings.database_url == "postgresql://postgres:postgres@localhost:54322/postgres"
    assert settings.redis_url == "redis://localhost:6379/0"


def test_values_are_read_from_the_environment():
    """Every variable given overrides its default."""
    settings = load_settings({
        **BASE, "QUEUE_SOFT_LIMIT": "10", "QUEUE_HARD_LIMIT": "20", "CLAIM_TIMEOUT_MS": "2000",
        "WORKER_CONCURRENCY": "3", "LLM_TIMEOUT_S": "2.5", "LOG_LEVEL": "debug", "PORT": "9001",
    })
    assert (settings.queue_soft_limit, settings.queue_hard_limit) == (10, 20)
    assert settings.claim_timeout_ms == 2000
    assert settings.worker_concurrency == 3
    assert settings.llm_timeout_s == 2.5
    assert settings.log_level == "DEBUG"
    assert settings.port == 9001


def test_missing_secret_is_refused():
    """Without SUPABASE_JWT_SECRET the engine refuses to start, naming the variable."""
    with pytest.raises(ConfigError, match="SUPABASE_JWT_SECRET is not set"):
        load_settings({})


@pytest.mark.parametrize(
    "name, value, expected",
    [
        ("QUEUE_HARD_LIMIT", "abc", "QUEUE_HARD_LIMIT must be an integer >= 1, got 'abc'"),
        ("PORT", "70000", "PORT must be an integer between 0 and 65535"),
        ("MAX_DELIVERIES", "0", "MAX_DELIVERIES must be an integer >= 1"),
        ("LLM_TIMEOUT_S", "-1", "LLM_TIMEOUT_S must be a number of seconds > 0"),
        ("LOG_LEVEL", "LOUD", "LOG_LEVEL must be one of"),
        ("REDIS_URL", "localhost:6379", "REDIS_URL must be a URL starting with redis://"),
        ("DATABASE_URL", "mysql://x", "DATABASE_URL must be a URL starting with postgresql://"),
    ],
)
def test_bad_values_name_the_variable(name, value, expected):
    """A bad value is reported with the variable's name and what it should be."""
    with pytest.raises(ConfigError, match=expected.replace("(", r"\(")):
        load_settings({**BASE, name: value})


def test_soft_limit_must_be_below_hard_limit():
    """A soft limit at or above the hard limit is refused."""
    with pytest.raises(ConfigError, match="QUEUE_SOFT_LIMIT must be lower than QUEUE_HARD_LIMIT"):
        load_settings({**BASE, "QUEUE_SOFT_LIMIT": "5000", "QUEUE_HARD_LIMIT": "5000"})


@pytest.mark.parametrize("argv", [["launcher.py", "--workers", "1"], ["-m", "app.workers", "--index", "1"]])
def test_entry_points_exit_with_one_line_not_a_traceback(argv):
    """The launcher and a worker given a bad value exit with status 2 and one stderr line."""
    env = {**os.environ, "SUPABASE_JWT_SECRET": "s", "QUEUE_HARD_LIMIT": "abc"}
    done = subprocess.run(
        [sys.executable, *argv], cwd=ENGINE_DIR, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "grizz-engine: configuration error: QUEUE_HARD_LIMIT must be an integer >= 1, got 'abc'"
    ]
