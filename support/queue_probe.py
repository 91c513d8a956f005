"""Reads the engine's Redis state, as the contract names it. It only observes."""

from __future__ import annotations

import redis.asyncio as aioredis

JOBS = "llm_jobs"
GROUP = "llm_workers"
DEAD_LETTERS = "llm_jobs:dead"


class QueueProbe:
    def __init__(self, url: str):
        self.redis = aioredis.Redis.from_url(url, decode_responses=True)

    async def depth(self) -> int:
        """Queue depth as the contract defines it: jobs not yet acknowledged."""
        return await self.redis.xlen(JOBS)

    async def jobs_with(self, job_ids: set[str]) -> list[dict]:
        """The entries of llm_jobs, undelivered or pending, that carry one of these job ids."""
        entries = await self.redis.xrange(JOBS)
        return [{"entry_id": entry_id, **fields} for entry_id, fields in entries
                if fields.get("job_id") in job_ids]

    async def pending_entries(self, count: int = 100) -> list[dict]:
        try:
            return await self.redis.xpending_range(JOBS, GROUP, min="-", max="+", count=count)
        except aioredis.ResponseError:  # no group yet
            return []

    async def consumers(self) -> list[dict]:
        try:
            return await self.redis.xinfo_consumers(JOBS, GROUP)
        except aioredis.ResponseError:
            return []

    async def snapshot(self, job_ids: set[str] = frozenset()) -> dict:
        """What a reader of a failed scenario needs to see of the queue."""
        groups = []
        try:
            groups = await self.redis.xinfo_groups(JOBS)
        except aioredis.ResponseError:
            pass
        return {
            "queue_depth": await self.depth(),
            "groups": groups,
            "consumers": await self.consumers(),
            "pending": await self.pending_entries(),
            "this_scenario_jobs_still_queued": await self.jobs_with(set(job_ids)),
            "dead_letters": await self.redis.xrevrange(DEAD_LETTERS, count=20),
        }

    async def close(self):
        await self.redis.aclose()
