"""The PostgreSQL connection pool of this process.

The engine connects as the database owner, which bypasses row-level security: it checks
ownership itself (a conversation belongs to the token's `sub`).
"""

from __future__ import annotations

import asyncpg

CONNECT_TIMEOUT_S = 10


async def create_db_pool(database_url: str, max_size: int) -> asyncpg.Pool:
    # One connection at start so an unreachable database fails the start; no floor after
    # that (min_size=0), so an outage does not fill the log with reconnection tracebacks.
    # A server that does not answer a new connection within CONNECT_TIMEOUT_S counts as
    # away: the message waiting for it is refused well within the contract's 45 s.
    return await asyncpg.create_pool(
        database_url, init_size=1, min_size=0, max_size=max_size, command_timeout=30,
        timeout=CONNECT_TIMEOUT_S,
        reset=_session_unchanged,
    )


async def _session_unchanged(connection: asyncpg.Connection) -> None:
    """The engine sets no session state (no SET, LISTEN or advisory lock), so a connection
    goes back to the pool as it is: asyncpg's default reset is a round trip per query."""
