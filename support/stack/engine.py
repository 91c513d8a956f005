"""The engine as the embedded stack runs it: its settings, whatever the caller's environment
holds, and its command line."""

from __future__ import annotations

import os
import sys

from support.stack.endpoints import Endpoints

WORKERS = 2
# The engine's settings in the embedded stack, whatever the caller's environment holds: the
# specs name the contract's limits (3000, 5000, 3 deliveries).
ENGINE_SETTINGS = {
    "QUEUE_SOFT_LIMIT": "3000", "QUEUE_HARD_LIMIT": "5000", "MAX_DELIVERIES": "3",
    "RESULT_TTL_S": "300", "WORKER_CONCURRENCY": "256", "LOG_LEVEL": "INFO",
    # Short enough that recovery scenarios finish quickly, long enough that a busy
    # worker's heartbeat keeps its job.
    "CLAIM_TIMEOUT_MS": "2000",
    # Short, so a model that goes silent is given up on within a scenario's patience; a
    # stalled model keeps its streams open with keep-alive comments, so a flood held for
    # minutes is not timed out.
    "LLM_TIMEOUT_S": "5",
    # Below the 10 s the suite gives the launcher to stop, so no worker outlives it.
    "SHUTDOWN_TIMEOUT_S": "5",
    # The contract's per-connection rate limit: 30 frames in any 10 s.
    "RATE_LIMIT_FRAMES": "60", "RATE_LIMIT_WINDOW_S": "10",
}


def engine_command(endpoints: Endpoints, port: int, redis_url: str | None = None,
                   database_url: str | None = None) -> tuple[list[str], dict[str, str]]:
    """The engine's launcher command line (run in the engine's folder) and its environment,
    reaching Redis and PostgreSQL at these addresses (by default, the endpoints')."""
    env = {**os.environ, **ENGINE_SETTINGS,
           "DATABASE_URL": database_url or endpoints.database_url,
           "REDIS_URL": redis_url or endpoints.redis_url,
           "LLM_BASE_URL": f"{endpoints.model_url}/v1", "LLM_API_KEY": "not-a-real-key",
           "LLM_MODEL": "grizz-scripted", "SUPABASE_JWT_SECRET": endpoints.jwt_secret,
           "HOST": "127.0.0.1", "PORT": str(port), "PYTHONUNBUFFERED": "1"}
    return [sys.executable, "launcher.py", "--workers", str(WORKERS)], env
