"""Fills the job queue with well-formed filler jobs, and takes them out again.

Used only while the workers are paused, so no worker ever picks a filler job up. The filler
remembers what it added and removes exactly that, never anyone else's jobs.

    filler = QueueFiller(redis_url)
    await filler.fill_to(3000)     # thousands of jobs a second, in pipelined batches
    await filler.remove_all()      # the hooks call this even when the scenario failed
"""

from __future__ import annotations

import time
import uuid

import redis.asyncio as aioredis

from support.stack.endpoints import GROUP, JOBS

BATCH = 1000  # entries per pipeline round trip


def filler_job() -> dict[str, str]:
    """A job as docs/contract.md describes one, for a conversation that does not exist."""
    return {"job_id": str(uuid.uuid4()), "conversation_id": str(uuid.uuid4()),
            "user_id": str(uuid.uuid4()), "message_id": str(uuid.uuid4()),
            "client_message_id": f"filler-{uuid.uuid4()}", "enqueued_at": f"{time.time():.3f}"}


class QueueFiller:
    def __init__(self, url: str):
        self.redis = aioredis.Redis.from_url(url, decode_responses=True)
        self.entry_ids: list[str] = []

    async def add(self, count: int):
        for start in range(0, count, BATCH):
            async with self.redis.pipeline(transaction=False) as pipe:
                for _ in range(min(BATCH, count - start)):
                    pipe.xadd(JOBS, filler_job())
                self.entry_ids += await pipe.execute()

    async def fill_to(self, depth: int) -> int:
        """Add filler until the queue depth is `depth`; return the depth reached."""
        current = await self.redis.xlen(JOBS)
        assert current <= depth, f"the queue already holds {current} jobs, more than {depth}"
        await self.add(depth - current)
        reached = await self.redis.xlen(JOBS)
        assert reached == depth, f"filled the queue to {reached} jobs, wanted {depth}"
        return reached

    async def remove_all(self):
        taken, self.entry_ids = self.entry_ids, []
        await self._delete(taken)

    async def _delete(self, entry_ids: list[str]):
        for start in range(0, len(entry_ids), BATCH):
            batch = entry_ids[start:start + BATCH]
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.xack(JOBS, GROUP, *batch)  # in case a worker was handed one
                pipe.xdel(JOBS, *batch)
                await pipe.execute()

    async def close(self):
        await self.redis.aclose()
