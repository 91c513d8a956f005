"""Reads the engine's Redis state, as the contract names it. It only observes."""

from __future__ import annotations

import asyncio

import redis.asyncio as aioredis

JOBS = "llm_jobs"
GROUP = "llm_workers"
DEAD_LETTERS = "llm_jobs:dead"
LIVE_WORKER_KEYS = "llm_workers:alive:*"


class QueueProbe:
    def __init__(self, url: str):
        self.redis = aioredis.Redis.from_url(url, decode_responses=True)

    async def depth(self) -> int:
        """Queue depth as the contract defines it: jobs not yet acknowledged."""
        return await self.redis.xlen(JOBS)

    async def jobs_with(self, job_ids: set[str]) -> list[dict]:
        """The entries of llm_jobs, undelivered or pending, that carry one of these job ids."""
        return await self._jobs_where("job_id", job_ids)

    async def jobs_from(self, client_message_ids: set[str]) -> list[dict]:
        """The queued jobs, if any, of these client messages."""
        return await self._jobs_where("client_message_id", client_message_ids)

    async def _jobs_where(self, field: str, values: set[str]) -> list[dict]:
        entries = await self.redis.xrange(JOBS)
        return [{"entry_id": entry_id, **fields} for entry_id, fields in entries
                if fields.get(field) in values]

    async def peak_depth_during(self, work):
        """Run the coroutine while sampling the queue depth; return (its result, the peak)."""
        peak = await self.depth()
        task = asyncio.ensure_future(work)
        while not task.done():
            peak = max(peak, await self.depth())  # each round trip lets the work go on
        return await task, max(peak, await self.depth())

    async def live_workers(self) -> list[str]:
        """The consumers of live worker processes, as the contract's keys say."""
        prefix = LIVE_WORKER_KEYS[:-1]
        return sorted([key[len(prefix):] async for key in
                       self.redis.scan_iter(match=LIVE_WORKER_KEYS, count=1000)])

    async def consumer_holding(self, job_id: str) -> str | None:
        """The consumer that has this job delivered and not yet acknowledged, if any."""
        entries = await self.jobs_with({job_id})
        if not entries:
            return None
        pending = await self.redis.xpending_range(JOBS, GROUP, min=entries[0]["entry_id"],
                                                  max=entries[0]["entry_id"], count=1)
        return pending[0]["consumer"] if pending else None

    async def dead_letters_for(self, job_id: str) -> list[dict]:
        entries = await self.redis.xrange(DEAD_LETTERS)
        return [{"entry_id": entry_id, **fields} for entry_id, fields in entries
                if fields.get("job_id") == job_id]

    async def dead_letters_with(self, job_ids: set[str]) -> list[dict]:
        """The dead letters, if any, of these jobs."""
        entries = await self.redis.xrange(DEAD_LETTERS)
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
