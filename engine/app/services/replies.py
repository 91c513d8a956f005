"""Assistant replies as stored in PostgreSQL: exactly one per job."""

from __future__ import annotations

import uuid

import asyncpg

STORED_REPLY = "select id, content from public.messages where job_id = $1 and role = 'assistant'"


async def stored_reply(pool: asyncpg.Pool, job_id: uuid.UUID) -> asyncpg.Record | None:
    """The assistant message stored for a job, if any."""
    async with pool.acquire() as conn:
        return await conn.fetchrow(STORED_REPLY, job_id)
