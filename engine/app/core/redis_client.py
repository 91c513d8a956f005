"""The Redis connection pool of this process."""

from __future__ import annotations

import redis.asyncio as redis

from app.core.config import Settings, load_settings

_pool: redis.ConnectionPool | None = None


def get_redis_pool(settings: Settings | None = None) -> redis.ConnectionPool:
    """One pool per process. No socket timeout: XREAD/XREADGROUP block on purpose.

    RESP2 is pinned so reply shapes do not depend on the client library's default.
    """
    global _pool
    if _pool is None:
        settings = settings or load_settings()
        _pool = redis.ConnectionPool.from_url(
            settings.redis_url, decode_responses=True, health_check_interval=30, protocol=2
        )
    return _pool


def get_redis(settings: Settings | None = None) -> redis.Redis:
    return redis.Redis(connection_pool=get_redis_pool(settings))


async def close_redis_pool() -> None:
    global _pool
    if _pool is not None:
        await _pool.disconnect()
        _pool = None
