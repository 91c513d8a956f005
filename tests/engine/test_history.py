"""What the model is given: the conversation with each reply right after its message."""

from __future__ import annotations

import asyncio
import uuid
from types import SimpleNamespace

import asyncpg

from app.services.queue_service import queue_chat_message
from app.workers.store import load_history, store_reply

INSERT_USER = """insert into public.messages (conversation_id, role, content, job_id)
                 values ($1, 'user', $2, $3) returning id"""


def run(database_url: str, scenario):
    async def main():
        pool = await asyncpg.create_pool(database_url, min_size=1, max_size=8)
        try:
            conversation = uuid.uuid4()
            await pool.execute("insert into public.conversations (id, user_id) values ($1, $2)",
                               conversation, uuid.uuid4())
            return await scenario(pool, conversation)
        finally:
            await pool.close()
    return asyncio.run(main())


async def say(pool, conversation, text):
    """A user's message with its job id; returns (message id, job id)."""
    job_id = uuid.uuid4()
    return await pool.fetchval(INSERT_USER, conversation, text, job_id), job_id


def test_replies_written_after_later_messages_still_follow_their_own_message(database_url):
    """Three messages sent at once, replies stored after all of them: u1 a1 u2 a2 u3."""
    async def scenario(pool, conversation):
        sent = [await say(pool, conversation, f"u{n}") for n in (1, 2, 3)]
        for n, (_, job_id) in enumerate(sent[:2], start=1):
            await store_reply(pool, conversation, job_id, f"a{n}")
        return await load_history(pool, conversation, sent[2][0])

    history = run(database_url, scenario)
    assert [(m["role"], m["content"]) for m in history] == [
        ("user", "u1"), ("assistant", "a1"), ("user", "u2"), ("assistant", "a2"), ("user", "u3")]


def test_later_messages_and_their_replies_are_left_out(database_url):
    async def scenario(pool, conversation):
        first, _ = await say(pool, conversation, "u1")
        _, later_job = await say(pool, conversation, "u2")
        await store_reply(pool, conversation, later_job, "a2")
        return await load_history(pool, conversation, first)

    assert [m["content"] for m in run(database_url, scenario)] == ["u1"]


def test_a_reply_tied_to_no_message_keeps_its_own_place(database_url):
    """An assistant row stored by other means (no job_id) is placed by its created_at."""
    async def scenario(pool, conversation):
        await say(pool, conversation, "u1")
        await pool.execute("insert into public.messages (conversation_id, role, content) "
                           "values ($1, 'assistant', 'greeting')", conversation)
        last, _ = await say(pool, conversation, "u2")
        return await load_history(pool, conversation, last)

    assert [m["content"] for m in run(database_url, scenario)] == ["u1", "greeting", "u2"]


class RecordingAdmitter:
    """Stands in for JobAdmitter: records the order of admission, taking its time."""

    def __init__(self) -> None:
        self.admitted: list[str] = []

    async def admit(self, job):
        # Earlier sends take longer, so without turns a later one would be admitted first.
        await asyncio.sleep(0.01 * (8 - int(job["client_message_id"][1:])))
        self.admitted.append(job["message_id"])
        return SimpleNamespace(admitted=True, depth_before=0)


def test_sends_to_one_conversation_are_stored_in_the_order_they_are_admitted(database_url):
    """Concurrent sends take turns, so stored order (created_at) is admission (= reply) order."""
    async def scenario(pool, conversation):
        admitter = RecordingAdmitter()
        await asyncio.gather(*(
            queue_chat_message(pool, admitter, conversation_id=conversation, user_id=uuid.uuid4(),
                               content=f"m{n}", client_message_id=f"c{n}")
            for n in range(8)))
        rows = await pool.fetch("select id from public.messages where conversation_id = $1 "
                                "order by created_at, id", conversation)
        return admitter.admitted, [str(row["id"]) for row in rows]

    admitted, stored = run(database_url, scenario)
    assert len(stored) == 8
    assert stored == admitted
