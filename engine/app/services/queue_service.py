"""Accepting a user's message: store it and queue its job, both or neither."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

import asyncpg

from app.core.queue import JobAdmitter

# The conversation's row is locked first in every send's transaction, so the sends of one
# conversation go one at a time: the order of the stored messages (created_at) is the order
# of admission, which is the order the replies are written in, and each job's history holds
# every earlier message. NO KEY UPDATE does not block the foreign-key checks of workers
# storing replies. Lock and insert are one statement: one round trip fewer per message.
INSERT_USER_MESSAGE = """
with locked as (
    select id from public.conversations where id = $1 for no key update
)
insert into public.messages (conversation_id, role, content, client_message_id, job_id)
select locked.id, 'user', $2, $3, $4 from locked
on conflict on constraint messages_client_message_unique do nothing
returning id
"""

FIND_USER_MESSAGE = """
select id, job_id from public.messages
where conversation_id = $1 and client_message_id = $2 and role = 'user'
"""


@dataclass(frozen=True)
class QueuedMessage:
    """The outcome of one send. `overloaded` means nothing was stored or queued."""

    overloaded: bool
    message_id: uuid.UUID | None = None
    job_id: uuid.UUID | None = None
    duplicate: bool = False
    depth_before: int = 0


def job_fields(job_id: uuid.UUID, conversation_id: uuid.UUID, user_id: uuid.UUID,
               message_id: uuid.UUID, client_message_id: str) -> dict[str, str]:
    """The fields of a queued job (docs/contract.md section 4)."""
    return {
        "job_id": str(job_id),
        "conversation_id": str(conversation_id),
        "user_id": str(user_id),
        "message_id": str(message_id),
        "client_message_id": client_message_id,
        "enqueued_at": str(int(time.time())),
    }


class _Refused(Exception):
    def __init__(self, depth: int) -> None:
        self.depth = depth


async def queue_chat_message(
    pool: asyncpg.Pool,
    admitter: JobAdmitter,
    *,
    conversation_id: uuid.UUID,
    user_id: uuid.UUID,
    content: str,
    client_message_id: str,
) -> QueuedMessage:
    job_id = uuid.uuid4()
    async with pool.acquire() as conn:
        try:
            # The job is queued inside the transaction, before the commit: a refusal rolls the
            # row back. A worker may see the job before the commit; it waits for the row.
            async with conn.transaction():
                message_id = await conn.fetchval(
                    INSERT_USER_MESSAGE, conversation_id, content, client_message_id, job_id
                )
                if message_id is None:
                    # A retry of a message already stored (the insert waited for it to commit).
                    existing = await conn.fetchrow(FIND_USER_MESSAGE, conversation_id, client_message_id)
                    return QueuedMessage(
                        overloaded=False,
                        message_id=existing["id"],
                        job_id=existing["job_id"],
                        duplicate=True,
                    )
                admission = await admitter.admit(
                    job_fields(job_id, conversation_id, user_id, message_id, client_message_id)
                )
                if not admission.admitted:
                    raise _Refused(admission.depth_before)
        except _Refused as refused:
            return QueuedMessage(overloaded=True, depth_before=refused.depth)
    return QueuedMessage(
        overloaded=False,
        message_id=message_id,
        job_id=job_id,
        depth_before=admission.depth_before,
    )
