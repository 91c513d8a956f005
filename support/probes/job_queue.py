"""Reads the engine's Redis state, as the contract names it. It only observes."""

from __future__ import annotations

import asyncio

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError

from support.stack.endpoints import DEAD_LETTERS, GROUP, JOBS, LIVE_WORKER_KEYS, RESULTS


class QueueProbe:
    def __init__(self, url: str):
        # Fault scenarios restart Redis: a pooled connection that broke is retried on a new
        # one (redis-py retries only the errors it is given).
        self.redis = aioredis.Redis.from_url(
            url, decode_responses=True, retry_on_error=[RedisConnectionError],
            retry=Retry(ExponentialBackoff(cap=1.0, base=0.1), 5))

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
        """The dead letters of these jobs (the stream holds only the few jobs that failed)."""
        entries = await self.redis.xrange(DEAD_LETTERS)
        return [{"entry_id": entry_id, **fields} for entry_id, fields in entries
                if fields.get("job_id") in job_ids]

    async def dead_letters_since(self, unix_ms: int) -> list[dict]:
        """The dead letters written since then; dead_letter_id, their own entry id, starts with
        when, in Unix ms (an engine may keep the job's entry_id among the fields)."""
        entries = await self.redis.xrange(DEAD_LETTERS, min=f"{max(0, unix_ms)}-0")
        return [{**fields, "dead_letter_id": entry_id} for entry_id, fields in entries]

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


# -- one job watched while it is written, and its result stream's lifetime ----------------

WATCH_EVERY_S = 0.1


async def watch_job(probe: QueueProbe, job_id: str, within_s: float,
                    every_s: float = WATCH_EVERY_S) -> list[dict]:
    """What Redis says of one job, every `every_s`, from now until it leaves llm_jobs
    (acknowledged or dead-lettered), for at most within_s. One sample a round:

        {"at": the event loop's clock (s) when the round began, "delivered": times
         delivered, "consumer": who holds it, "idle_ms": time since it was last
         delivered or touched}                            while pending
        {"at", "delivered": 0}                            while queued, not yet delivered
        {"at", "gone": True}                              last: it has left llm_jobs

    Ends without a "gone" sample when within_s ran out first."""
    samples: list[dict] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within_s
    entry_id = None
    while loop.time() < deadline:
        at = loop.time()
        if entry_id is None:
            found = await probe.jobs_with({job_id})
            if not found:
                samples.append({"at": at, "gone": True})
                return samples
            entry_id = found[0]["entry_id"]
        pending = await probe.redis.xpending_range(JOBS, GROUP, min=entry_id, max=entry_id,
                                                   count=1)
        if pending:
            samples.append({"at": at, "delivered": int(pending[0]["times_delivered"]),
                            "consumer": pending[0]["consumer"],
                            "idle_ms": int(pending[0]["time_since_delivered"])})
        elif await probe.redis.xrange(JOBS, min=entry_id, max=entry_id):
            samples.append({"at": at, "delivered": 0})
        else:
            samples.append({"at": at, "gone": True})
            return samples
        await asyncio.sleep(every_s)
    return samples


async def result_stream_ttl_ms(probe: QueueProbe, job_id: str) -> int:
    """The time to live of the job's result stream, in ms, as PTTL says it: -2 when there is
    no such stream, -1 when it never expires."""
    return await probe.redis.pttl(RESULTS.format(job_id=job_id))


async def redis_now_ms(probe: QueueProbe) -> int:
    """Redis's own clock, in milliseconds: the clock a new entry's id is made from."""
    seconds, microseconds = await probe.redis.time()
    return seconds * 1000 + microseconds // 1000


async def pending_added_between(probe: QueueProbe, first_ms: int, last_ms: int) -> list[dict]:
    """The jobs pending in the workers' group whose entries were added to llm_jobs between
    these Redis times (ms): each with its entry id, the consumer holding it, and the entry's
    fields, or None when the entry is gone from llm_jobs (deleted without acknowledging it)."""
    try:
        pending = await probe.redis.xpending_range(JOBS, GROUP, min=f"{first_ms}-0",
                                                   max=f"{last_ms}-{2**64 - 1}", count=1000)
    except aioredis.ResponseError:  # no group yet
        return []
    found = []
    for entry in pending:
        entries = await probe.redis.xrange(JOBS, min=entry["message_id"],
                                           max=entry["message_id"], count=1)
        found.append({"entry_id": entry["message_id"], "consumer": entry["consumer"],
                      "fields": entries[0][1] if entries else None})
    return found


LOOK_EVERY_S = 0.02  # 50 reads a second: a job answered slowly stays for a second or more


async def entries_seen_during(probe: QueueProbe, work, client_message_ids: set[str]):
    """Run the coroutine while reading llm_jobs over and over; return (its result, the ids of
    every entry seen carrying one of these client message ids). A job is seen only if it
    stays in the stream longer than a read takes, so slow its answer down."""
    seen: set[str] = set()
    task = asyncio.ensure_future(work)

    async def look():
        seen.update(job["entry_id"] for job in await probe.jobs_from(client_message_ids))
    await look()
    while not task.done():
        await asyncio.wait({task}, timeout=LOOK_EVERY_S)
        await look()
    return await task, seen
