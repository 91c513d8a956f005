"""Engine settings, read from environment variables only.

Every variable is listed with its default in engine/README.md. A bad value stops the process
with one line naming the variable, so a misconfigured deployment fails at once and legibly
instead of crash-looping with tracebacks.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import Mapping

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class ConfigError(ValueError):
    """A variable is missing or has a value the engine cannot use."""


@dataclass(frozen=True)
class Settings:
    database_url: str
    redis_url: str
    llm_base_url: str
    llm_api_key: str
    llm_model: str
    llm_timeout_s: float
    supabase_jwt_secret: str
    host: str
    port: int
    queue_soft_limit: int
    queue_hard_limit: int
    claim_timeout_ms: int
    max_deliveries: int
    result_ttl_s: int
    worker_concurrency: int
    shutdown_timeout_s: float
    log_level: str
    rate_limit_frames: int = 60
    rate_limit_window_s: float = 10.0


def _text(env: Mapping[str, str], name: str, default: str) -> str:
    value = env.get(name, "").strip()
    return value or default


def _url(env: Mapping[str, str], name: str, default: str, schemes: tuple[str, ...]) -> str:
    value = _text(env, name, default)
    if not value.startswith(tuple(f"{scheme}://" for scheme in schemes)):
        expected = " or ".join(f"{scheme}://..." for scheme in schemes)
        raise ConfigError(f"{name} must be a URL starting with {expected}, got {value!r}")
    return value


def _int(env: Mapping[str, str], name: str, default: int, minimum: int, maximum: int | None = None) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or value < minimum or (maximum is not None and value > maximum):
        bound = f"between {minimum} and {maximum}" if maximum is not None else f">= {minimum}"
        raise ConfigError(f"{name} must be an integer {bound}, got {raw!r}")
    return value


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not value > 0 or value == float("inf"):
        raise ConfigError(f"{name} must be a number of seconds > 0, got {raw!r}")
    return value


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read and check every variable; raise ConfigError with a one-line reason."""
    env = os.environ if env is None else env

    secret = env.get("SUPABASE_JWT_SECRET", "")
    if not secret.strip():
        raise ConfigError(
            "SUPABASE_JWT_SECRET is not set: set it to the project's JWT secret "
            "(the engine verifies client tokens with it)"
        )

    soft = _int(env, "QUEUE_SOFT_LIMIT", 3000, minimum=1)
    hard = _int(env, "QUEUE_HARD_LIMIT", 5000, minimum=1)
    if soft >= hard:
        raise ConfigError(
            f"QUEUE_SOFT_LIMIT must be lower than QUEUE_HARD_LIMIT, got {soft} >= {hard}"
        )

    log_level = _text(env, "LOG_LEVEL", "INFO").upper()
    if log_level not in LOG_LEVELS:
        raise ConfigError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {log_level!r}")

    return Settings(
        database_url=_url(
            env, "DATABASE_URL", "postgresql://postgres:postgres@localhost:54322/postgres",
            ("postgresql", "postgres"),
        ),
        redis_url=_url(env, "REDIS_URL", "redis://localhost:6379/0", ("redis", "rediss", "unix")),
        llm_base_url=_url(env, "LLM_BASE_URL", "http://localhost:11434/v1", ("http", "https")),
        # Local OpenAI-compatible servers ignore the key, but the SDK insists on one.
        llm_api_key=_text(env, "LLM_API_KEY", "not-needed"),
        llm_model=_text(env, "LLM_MODEL", "llama3.2"),
        llm_timeout_s=_float(env, "LLM_TIMEOUT_S", 60.0),
        supabase_jwt_secret=secret,
        host=_text(env, "HOST", "127.0.0.1"),
        port=_int(env, "PORT", 8000, minimum=0, maximum=65535),
        queue_soft_limit=soft,
        queue_hard_limit=hard,
        claim_timeout_ms=_int(env, "CLAIM_TIMEOUT_MS", 30000, minimum=100),
        max_deliveries=_int(env, "MAX_DELIVERIES", 3, minimum=1),
        result_ttl_s=_int(env, "RESULT_TTL_S", 300, minimum=1),
        worker_concurrency=_int(env, "WORKER_CONCURRENCY", 256, minimum=1),
        shutdown_timeout_s=_float(env, "SHUTDOWN_TIMEOUT_S", 30.0),
        log_level=log_level,
        rate_limit_frames=_int(env, "RATE_LIMIT_FRAMES", 60, minimum=1),
        rate_limit_window_s=_float(env, "RATE_LIMIT_WINDOW_S", 10.0),
    )


def settings_or_exit() -> Settings:
    """Entry points call this: a configuration error ends the process with one line."""
    try:
        return load_settings()
    except ConfigError as error:
        print(f"grizz-engine: configuration error: {error}", file=sys.stderr, flush=True)
        raise SystemExit(2) from None
