"""Accepting the messages that arrive together: one transaction and one script for all.

Each message still goes in whole or not at all, exactly as queue_chat_message() takes one:
its row is inserted and its job admitted inside one transaction, a refused job's row is
deleted before the commit, so nothing of a refused message is ever visible. What changes is
the cost: while batches are being stored (up to RUNNERS at once), the messages that arrive
wait and go together in the next, so under load a message costs a share of five round trips
instead of four of its own.

A batch holds at most one message of each conversation, so the order within a conversation
stays the order of admission (a later message goes in a later batch). If a batch fails (the
database or Redis is unreachable), each of its messages gets the error, as it would alone.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field

import asyncpg

from app.core.queue import JobAdmitter
from app.services.queue_service import QueuedMessage, job_fields, queue_chat_message

MAX_BATCH = 200
# Batches stored at once. Two that hold the same conversation (two connections to it) do
# not wait on each other: the later one skips the locked row (below).
RUNNERS = 4

# A conversation whose row someone else holds (another process storing a message of it, or
# a client's own transaction) is skipped, and its message stored on its own: one busy
# conversation must not hold up the batch.
LOCK_CONVERSATIONS = """
select id from public.conversations where id = any($1::uuid[]) for no key update skip locked
"""

INSERT_USER_MESSAGES = """
insert into public.messages (conversation_id, role, content, client_message_id, job_id)
select m.conversation_id, 'user', m.content, m.client_message_id, m.job_id
from unnest($1::uuid[], $2::text[], $3::text[], $4::uuid[])
     as m(conversation_id, content, client_message_id, job_id)
on conflict on constraint messages_client_message_unique do nothing
returning id, job_id
"""

FIND_USER_MESSAGES = """
select m.conversation_id, m.client_message_id, m.id, m.job_id
from public.messages m
join unnest($1::uuid[], $2::text[]) as k(conversation_id, client_message_id)
  on m.conversation_id = k.conversation_id and m.client_message_id = k.client_message_id
where m.role = 'user'
"""

DELETE_REFUSED = "delete from public.messages where id = any($1::uuid[])"


@dataclass
class _Send:
    conversation_id: uuid.UUID
    user_id: uuid.UUID
    content: str
    client_message_id: str
    outcome: asyncio.Future
    job_id: uuid.UUID = field(default_factory=uuid.uuid4)
    alone: bool = False  # handed to the unbatched way, which settles its outcome


class AdmissionBatcher:
    def __init__(self, pool: asyncpg.Pool, admitter: JobAdmitter) -> None:
        self._pool = pool
        self._admitter = admitter
        self._waiting: list[_Send] = []
        self._runners: set[asyncio.Task] = set()
        self._alone_tasks: set[asyncio.Task] = set()

    async def queue(self, *, conversation_id: uuid.UUID, user_id: uuid.UUID, content: str,
                    client_message_id: str) -> QueuedMessage:
        """Store the message and queue its job, both or neither (see QueuedMessage)."""
        send = _Send(conversation_id, user_id, content, client_message_id,
                     asyncio.get_running_loop().create_future())
        self._waiting.append(send)
        if len(self._runners) < RUNNERS:
            runner = asyncio.create_task(self._run(), name="admissions")
            self._runners.add(runner)
            runner.add_done_callback(self._runners.discard)
        return await send.outcome

    async def _run(self) -> None:
        while self._waiting:
            batch = self._next_batch()
            try:
                outcomes = await self._store_and_queue(batch)
            except Exception as error:
                for send in batch:
                    if not send.outcome.done() and not send.alone:
                        send.outcome.set_exception(error)
                continue
            for send, outcome in zip(batch, outcomes):
                if outcome is not None and not send.outcome.done():
                    send.outcome.set_result(outcome)

    def _next_batch(self) -> list[_Send]:
        batch, later, conversations = [], [], set()
        for send in self._waiting:
            if len(batch) < MAX_BATCH and send.conversation_id not in conversations:
                conversations.add(send.conversation_id)
                batch.append(send)
            else:
                later.append(send)
        self._waiting = later
        return batch

    def _alone(self, send: _Send) -> None:
        """Store and queue one message the unbatched way, which waits for its conversation."""
        send.alone = True

        async def store() -> None:
            try:
                outcome = await queue_chat_message(
                    self._pool, self._admitter, conversation_id=send.conversation_id,
                    user_id=send.user_id, content=send.content,
                    client_message_id=send.client_message_id)
            except Exception as error:
                if not send.outcome.done():
                    send.outcome.set_exception(error)
            else:
                if not send.outcome.done():
                    send.outcome.set_result(outcome)
        task = asyncio.create_task(store())
        self._alone_tasks.add(task)
        task.add_done_callback(self._alone_tasks.discard)

    async def _store_and_queue(self, batch: list[_Send]) -> list[QueuedMessage | None]:
        """The outcome of each message; None for one that is being stored on its own."""
        async with self._pool.acquire() as conn, conn.transaction():
            locked = {row["id"] for row in await conn.fetch(
                LOCK_CONVERSATIONS, [send.conversation_id for send in batch])}
            for send in batch:
                if send.conversation_id not in locked:
                    self._alone(send)
            together = [send for send in batch if send.conversation_id in locked]
            stored = iter(await self._store_locked(conn, together) if together else [])
        return [next(stored) if send.conversation_id in locked else None for send in batch]

    async def _store_locked(self, conn: asyncpg.Connection, batch: list[_Send]) -> list[QueuedMessage]:
        """Insert the rows, admit their jobs, delete the refused ones' rows: in conn's transaction."""
        conversations = [send.conversation_id for send in batch]
        ids = [send.client_message_id for send in batch]
        inserted = {row["job_id"]: row["id"] for row in await conn.fetch(
            INSERT_USER_MESSAGES, conversations, [send.content for send in batch], ids,
            [send.job_id for send in batch])}
        stored_before = {}
        if len(inserted) < len(batch):
            # Sent again: the message is stored already (the insert waited for it).
            for row in await conn.fetch(FIND_USER_MESSAGES, conversations, ids):
                stored_before[(row["conversation_id"], row["client_message_id"])] = row
        new = [send for send in batch if send.job_id in inserted]
        admissions = {}
        if new:
            results = await self._admitter.admit_many([
                job_fields(send.job_id, send.conversation_id, send.user_id,
                           inserted[send.job_id], send.client_message_id)
                for send in new])
            admissions = {send.job_id: result for send, result in zip(new, results)}
            refused = [inserted[job_id] for job_id, result in admissions.items()
                       if not result.admitted]
            if refused:
                await conn.execute(DELETE_REFUSED, refused)
        return [self._outcome(send, inserted, stored_before, admissions) for send in batch]

    @staticmethod
    def _outcome(send: _Send, inserted, stored_before, admissions) -> QueuedMessage:
        if send.job_id not in inserted:
            existing = stored_before[(send.conversation_id, send.client_message_id)]
            return QueuedMessage(overloaded=False, message_id=existing["id"],
                                 job_id=existing["job_id"], duplicate=True)
        admission = admissions[send.job_id]
        if not admission.admitted:
            return QueuedMessage(overloaded=True, depth_before=admission.depth_before)
        return QueuedMessage(overloaded=False, message_id=inserted[send.job_id],
                             job_id=send.job_id, depth_before=admission.depth_before)
