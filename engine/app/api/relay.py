"""Following one job's result stream and passing its entries to the client."""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Awaitable, Callable

import asyncpg
import redis.asyncio as redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from app.api.frames import result_frame
from app.core.queue import results_stream
from app.services.replies import stored_reply

log = logging.getLogger("grizz.api")

# Bounded blocks keep each read short-lived; cancellation is still immediate.
BLOCK_MS = 10_000
# A Redis restart should not cost the client its reply: retry reads this many times, 1 s apart.
READ_RETRIES = 15

Send = Callable[[dict], Awaitable[None]]


async def relay_results(
    r: redis.Redis,
    job_id: uuid.UUID,
    client_message_id: str,
    send: Send,
) -> None:
    """Send chunk frames, then the final done or error, from the start of the stream."""
    key = results_stream(str(job_id))
    last_id = "0"
    failures = 0
    while True:
        try:
            reply = await r.xread({key: last_id}, block=BLOCK_MS, count=100)
        except (RedisConnectionError, RedisTimeoutError) as error:
            failures += 1
            if failures > READ_RETRIES:
                raise
            log.warning("relay job_id=%s: redis read failed (%s); retrying", job_id, error)
            await asyncio.sleep(1)
            continue
        failures = 0
        for _key, entries in reply:
            for entry_id, fields in entries:
                last_id = entry_id
                frame = result_frame(fields, client_message_id)
                if frame is None:
                    continue
                await send(frame)
                if frame["type"] in ("done", "error"):
                    return


async def relay_retry(
    r: redis.Redis,
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
    await relay_results(r, job_id, client_message_id, send)
