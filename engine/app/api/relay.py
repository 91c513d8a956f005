"""Passing one job's result stream to its client, through the process's ResultReader."""

from __future__ import annotations

import uuid
from typing import Awaitable, Callable

import asyncpg
import redis.asyncio as redis

from app.api.frames import result_frame
from app.api.results_reader import ResultReader
from app.core.queue import results_stream
from app.services.replies import stored_reply

Send = Callable[[dict], Awaitable[None]]


async def relay_results(
    reader: ResultReader,
    job_id: uuid.UUID,
    client_message_id: str,
    send: Send,
) -> None:
    """Send chunk frames, then the final done or error, from the start of the stream."""
    subscription = await reader.subscribe(results_stream(str(job_id)))
    try:
        while True:
            frame = result_frame(await subscription.next(), client_message_id)
            if frame is None:
                continue
            await send(frame)
            if frame["type"] in ("done", "error"):
                return
    finally:
        subscription.close()


async def relay_retry(
    r: redis.Redis,
    reader: ResultReader,
    pool: asyncpg.Pool,
    job_id: uuid.UUID,
    client_message_id: str,
    send: Send,
) -> None:
    """For a resent message: replay the result stream, or, once it has expired, the stored reply."""
    if not await r.exists(results_stream(str(job_id))):
        reply = await stored_reply(pool, job_id)
        if reply is not None:
            # The attempt that wrote it is no longer known: replay it as attempt 1, in one
            # piece, so the done frame matches the pieces before it.
            await send(
                {
                    "type": "chunk",
                    "job_id": str(job_id),
                    "attempt": 1,
                    "seq": 0,
                    "content": reply["content"],
                }
            )
            await send(
                {
                    "type": "done",
                    "job_id": str(job_id),
                    "attempt": 1,
                    "message_id": str(reply["id"]),
                    "content": reply["content"],
                }
            )
            return
    await relay_results(reader, job_id, client_message_id, send)
