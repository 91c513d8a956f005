"""How the suite reaches a running engine, and the names of what the engine keeps in Redis
(docs/contract.md): the same whether the suite started the engine or attached to one."""

from __future__ import annotations

from dataclasses import dataclass

JOBS = "llm_jobs"
GROUP = "llm_workers"
DEAD_LETTERS = "llm_jobs:dead"
LIVE_WORKER_KEYS = "llm_workers:alive:*"
RESULTS = "llm_results:{job_id}"


@dataclass(frozen=True)
class Endpoints:
    """How the suite reaches a running engine and the servers behind it."""
    engine_url: str  # ws://host:port
    redis_url: str
    database_url: str
    jwt_secret: str
    model_url: str | None  # http://host:port of the scriptable model, None if not ours
