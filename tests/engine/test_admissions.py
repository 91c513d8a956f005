"""Messages that arrive together are stored and queued together, each whole or not at all,
against a real PostgreSQL and redis-server."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import redis.asyncio as redis

from app.core.queue import JOBS_STREAM, JobAdmitter, conversation_jobs
from app.core.redis_client import make_pool
from app.services.admissions import AdmissionBatcher


def run(database_url, redis_url, scenario, hard_limit=100):
    async def main():
        pool = await asyncpg.create_pool(database_url, min_size=1, max_size=4)
        r = redis.Redis(connection_pool=make_pool(redis_url, max_connections=10))
        try:
            await r.flushall()
            batcher = AdmissionBatcher(pool, JobAdmitter(r, hard_limit))
            return await scenario(pool, r, batcher)
        finally:
            await r.connection_pool.disconnect()
            await pool.close()
    return asyncio.run(main())


async def conversations(pool, count: int) -> list[uuid.UUID]:
    ids = [uuid.uuid4() for _ in range(count)]
    for conversation in ids:
        await pool.execute("insert into public.conversations (id, user_id) values ($1, $2)",
                           conversation, uuid.uuid4())
    return ids


def send(batcher, conversation, n):
    return batcher.queue(conversation_id=conversation, user_id=uuid.uuid4(),
                         content=f"message {n}", client_message_id=f"c{n}")


def test_messages_sent_together_are_each_stored_and_queued(database_url, redis_url):
    """Twenty conversations at once: twenty rows, twenty jobs, each job naming its row."""
    async def scenario(pool, r, batcher):
        ids = await conversations(pool, 20)
        queued = await asyncio.gather(*(send(batcher, c, n) for n, c in enumerate(ids)))
        jobs = {fields["message_id"]: fields for _, fields in await r.xrange(JOBS_STREAM)}
        rows = {str(row["id"]): row for row in await pool.fetch(
            "select id, conversation_id, job_id from public.messages where conversation_id = any($1)", ids)}
        return queued, jobs, rows
    queued, jobs, rows = run(database_url, redis_url, scenario)
    assert not any(q.overloaded or q.duplicate for q in queued)
    assert set(jobs) == set(rows) == {str(q.message_id) for q in queued}
    for q in queued:
        assert jobs[str(q.message_id)]["job_id"] == str(q.job_id) == str(rows[str(q.message_id)]["job_id"])


def test_past_the_hard_limit_a_refused_message_leaves_no_row(database_url, redis_url):
    """With room for 3, five sent together: 3 stored and queued, 2 refused with nothing kept."""
    async def scenario(pool, r, batcher):
        ids = await conversations(pool, 5)
        queued = await asyncio.gather(*(send(batcher, c, n) for n, c in enumerate(ids)))
        stored = await pool.fetchval(
            "select count(*) from public.messages where conversation_id = any($1)", ids)
        return queued, stored, await r.xlen(JOBS_STREAM)
    queued, stored, depth = run(database_url, redis_url, scenario, hard_limit=3)
    assert [q.overloaded for q in queued].count(True) == 2
    assert (stored, depth) == (3, 3)


def test_a_message_sent_again_is_the_same_message(database_url, redis_url):
    """The same client_message_id again, alone or in a later batch: the same ids, no new job."""
    async def scenario(pool, r, batcher):
        [conversation] = await conversations(pool, 1)
        first = await send(batcher, conversation, 1)
        again = await send(batcher, conversation, 1)
        return first, again, await r.xlen(JOBS_STREAM)
    first, again, depth = run(database_url, redis_url, scenario)
    assert again.duplicate and (again.message_id, again.job_id) == (first.message_id, first.job_id)
    assert depth == 1


def test_messages_of_one_conversation_keep_their_order(database_url, redis_url):
    """Several at once to one conversation: stored order, queue order and list order agree.

    Which goes first among sends made at the same moment is not defined; that the three
    orders agree is what makes each reply's history hold every earlier message."""
    async def scenario(pool, r, batcher):
        [conversation] = await conversations(pool, 1)
        queued = await asyncio.gather(*(send(batcher, conversation, n) for n in range(6)))
        stored = [str(row["job_id"]) for row in await pool.fetch(
            "select job_id from public.messages where conversation_id = $1 order by created_at, id",
            conversation)]
        entries = await r.xrange(JOBS_STREAM)
        line = await r.lrange(conversation_jobs(str(conversation)), 0, -1)
        return [str(q.job_id) for q in queued], stored, [f["job_id"] for _, f in entries], \
            line == [entry_id for entry_id, _ in entries]
    sent, stored, queue_order, line_matches = run(database_url, redis_url, scenario)
    assert stored == queue_order and sorted(stored) == sorted(sent)
    assert line_matches


def test_a_conversation_held_by_someone_else_does_not_hold_up_the_others(database_url, redis_url):
    """Its message waits for the row on its own; the rest of the batch is stored meanwhile."""
    async def scenario(pool, r, batcher):
        held, free = await conversations(pool, 2)
        holder = await asyncpg.connect(database_url)
        try:
            transaction = holder.transaction()
            await transaction.start()
            await holder.execute("select 1 from public.conversations where id = $1 for update", held)
            waiting = asyncio.ensure_future(send(batcher, held, 1))
            other = await asyncio.wait_for(send(batcher, free, 2), 10)
            still_waiting = not waiting.done()
            await transaction.rollback()
        finally:
            await holder.close()
        return other, still_waiting, await asyncio.wait_for(waiting, 10)
    other, still_waiting, held = run(database_url, redis_url, scenario)
    assert still_waiting and not other.overloaded and not held.overloaded
