"""The Redis connection pool of this process."""

from __future__ import annotations

import redis.asyncio as redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError

from app.core.config import Settings, load_settings

# Longer than any BLOCK the engine uses (API result reader 5 s, worker read 1 s): redis-py's
# default read timeout (5 s) would otherwise abort blocking reads that are working.
SOCKET_TIMEOUT_S = 30
CONNECT_TIMEOUT_S = 5
# A command holds a connection only for its round trip (the API's one blocking reader
# included), so this bounds the commands in flight, not the jobs.
MAX_CONNECTIONS = 1000
# When every connection is busy a caller waits this long for one, then gets an error.
POOL_WAIT_S = 60
# After Redis restarts, every pooled connection is dead and fails its next command before
# the server sees it. redis-py retries only the errors it is told to: retrying a broken
# connection on a fresh one lets the first commands after a restart succeed. Timeouts are
# not retried: the server may have run the command.
RECONNECT_TRIES = 3

_pool: redis.ConnectionPool | None = None


def make_pool(url: str, max_connections: int) -> redis.ConnectionPool:
    """A pool that makes callers wait when it is exhausted (redis-py's default pool raises).

    RESP2 is pinned so reply shapes do not depend on the client library's default protocol.
    """
    return redis.BlockingConnectionPool.from_url(
        url,
        max_connections=max_connections,
        timeout=POOL_WAIT_S,
        decode_responses=True,
        protocol=2,
        socket_timeout=SOCKET_TIMEOUT_S,
        socket_connect_timeout=CONNECT_TIMEOUT_S,
        health_check_interval=30,
        retry=Retry(ExponentialBackoff(cap=1.0, base=0.1), RECONNECT_TRIES),
        retry_on_error=[RedisConnectionError],
    )


def get_redis_pool(settings: Settings | None = None) -> redis.ConnectionPool:
    """The one pool of this process, created on first use."""
    global _pool
    if _pool is None:
        settings = settings or load_settings()
        _pool = make_pool(settings.redis_url, MAX_CONNECTIONS)
    return _pool


def get_redis(settings: Settings | None = None) -> redis.Redis:
    return redis.Redis(connection_pool=get_redis_pool(settings))


async def close_redis_pool() -> None:
    global _pool
    if _pool is not None:
        await _pool.disconnect()
        _pool = None
