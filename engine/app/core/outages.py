"""Telling a server that cannot be reached from every other failure (contract, section 3:
"When Redis or PostgreSQL is away").

A message that fails for one of these reasons is refused with `unavailable` and a
`retry_after`, a reply whose relay fails so ends in `unavailable`, and a conversation that
cannot be opened so is closed with 1013 (try again later); any other failure is `internal`
(1011 for a connection).
"""

from __future__ import annotations

import asyncio

import asyncpg
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

# Seconds a client is asked to wait before sending again: the engine cannot know when a
# server comes back, and Redis and PostgreSQL restart within a few seconds.
OUTAGE_RETRY_AFTER_S = 5


class ServerUnreachable(Exception):
    """Raised by the engine's own code when a server stayed unreachable for too long."""


_UNREACHABLE = (
    ServerUnreachable,
    OSError,  # refused, reset or unreachable sockets (PostgreSQL's driver raises these)
    asyncio.TimeoutError,  # a connect or a command that ran out of time
    RedisConnectionError,  # Redis down, or still loading its data after a restart
    RedisTimeoutError,
    asyncpg.PostgresConnectionError,  # class 08, a connection lost
    asyncpg.exceptions.OperatorInterventionError,  # class 57, a server shutting down or starting
)


def server_unreachable(error: BaseException) -> bool:
    """True when the error, or the one it was raised while handling, says that Redis or
    PostgreSQL could not be reached (a rollback that fails after a lost connection raises
    its own error)."""
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, _UNREACHABLE):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False
