"""What a worker reads from and writes to PostgreSQL."""

from __future__ import annotations

import asyncio
import time
import uuid

import asyncpg

from app.services.replies import STORED_REPLY

# The API queues the job just before it commits the user's message, so a fast worker may
# look for the message before it is visible. Wait this long before giving the job up.
USER_MESSAGE_WAIT_S = 5.0

HISTORY = """
with target as (
    select created_at, id from public.messages where id = $2 and conversation_id = $1
)
select m.role, m.content
from public.messages m, target t
where m.conversation_id = $1 and (m.created_at, m.id) <= (t.created_at, t.id)
order by m.created_at, m.id
"""

STORE_REPLY = """
insert into public.messages (conversation_id, role, content, job_id)
values ($1, 'assistant', $2, $3)
on conflict (job_id) where role = 'assistant' do nothing
"""



async def load_history(
    pool: asyncpg.Pool, conversation_id: uuid.UUID, message_id: uuid.UUID
) -> list[dict] | None:
    """The conversation up to and including the job's message, as chat messages.

    None if the message did not become visible within USER_MESSAGE_WAIT_S (its transaction
    rolled back or never committed).
    """
    deadline = time.monotonic() + USER_MESSAGE_WAIT_S
    pause = 0.05
    while True:
        async with pool.acquire() as conn:
            rows = await conn.fetch(HISTORY, conversation_id, message_id)
        if rows:
            return [{"role": row["role"], "content": row["content"]} for row in rows]
        if time.monotonic() >= deadline:
            return None
        await asyncio.sleep(pause)
        pause = min(pause * 2, 0.5)


async def store_reply(
    pool: asyncpg.Pool, conversation_id: uuid.UUID, job_id: uuid.UUID, content: str
) -> asyncpg.Record:
    """Store the reply once per job; return the stored one, which may be an earlier attempt's."""
    async with pool.acquire() as conn:
        await conn.execute(STORE_REPLY, conversation_id, content, job_id)
        return await conn.fetchrow(STORED_REPLY, job_id)
