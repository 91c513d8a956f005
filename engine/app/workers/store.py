"""What a worker reads from and writes to PostgreSQL."""

from __future__ import annotations

import asyncio
import time
import uuid

import asyncpg

# The API queues the job just before it commits the user's message, so a fast worker may
# look for the message before it is visible. Wait this long before giving the job up.
USER_MESSAGE_WAIT_S = 5.0

# The conversation as the model should see it: the user's messages up to and including the
# job's, each followed by its reply. A reply is placed by its message (same job_id), not by
# its own created_at: it is stored when it is written, which may be after later messages
# were sent. Replies tied to no message of the conversation keep their own place.
HISTORY = """
with target as (
    select created_at, id from public.messages where id = $2 and conversation_id = $1
),
asked as (
    select m.id, m.created_at, m.content, m.job_id
    from public.messages m, target t
    where m.conversation_id = $1 and m.role = 'user'
      and (m.created_at, m.id) <= (t.created_at, t.id)
)
select role, content from (
    select 'user'::text as role, a.content, a.created_at as at, a.id as at_id, 0 as place
    from asked a
    union all
    select r.role, r.content, a.created_at, a.id, 1
    from asked a
    join public.messages r
      on r.conversation_id = $1 and r.role = 'assistant' and r.job_id = a.job_id
    where a.id <> $2
    union all
    select r.role, r.content, r.created_at, r.id, 0
    from public.messages r, target t
    where r.conversation_id = $1 and r.role = 'assistant'
      and (r.created_at, r.id) <= (t.created_at, t.id)
      and not exists (
          select 1 from public.messages u
          where u.conversation_id = $1 and u.role = 'user' and u.job_id = r.job_id)
) history
order by at, at_id, place
"""

# Returns the stored reply: this one, or the one an earlier attempt stored (the statement's
# snapshot sees that one, not the row its own insert adds).
STORE_REPLY = """
with inserted as (
    insert into public.messages (conversation_id, role, content, job_id)
    values ($1, 'assistant', $2, $3)
    on conflict (job_id) where role = 'assistant' do nothing
    returning id, content
)
select id, content from inserted
union all
select id, content from public.messages where job_id = $3 and role = 'assistant'
limit 1
"""


async def load_history(
    pool: asyncpg.Pool, conversation_id: uuid.UUID, message_id: uuid.UUID
) -> list[dict] | None:
    """The conversation up to and including the job's message, as chat messages (HISTORY).

    None if the message did not become visible within USER_MESSAGE_WAIT_S (its transaction
    rolled back or never committed).
    """
    deadline = time.monotonic() + USER_MESSAGE_WAIT_S
    # The row usually commits within a millisecond of the job being queued.
    pause = 0.002
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
        return await conn.fetchrow(STORE_REPLY, conversation_id, content, job_id)
