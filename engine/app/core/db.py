"""The PostgreSQL connection pool of this process.

The engine connects as the database owner, which bypasses row-level security: it checks
ownership itself (a conversation belongs to the token's `sub`).
"""

from __future__ import annotations

import asyncpg


async def create_db_pool(database_url: str, max_size: int) -> asyncpg.Pool:
    return await asyncpg.create_pool(
        database_url, min_size=1, max_size=max_size, command_timeout=30
    )
