"""One worker process: a consumer of llm_workers answering up to WORKER_CONCURRENCY jobs at once.

A job may have to wait for the earlier jobs of its conversation (app/workers/turns.py). Such
waiting jobs do not count against WORKER_CONCURRENCY, so a worker keeps reading while they
wait, up to IN_HAND_PER_SLOT times WORKER_CONCURRENCY jobs in hand. Jobs of dead workers are
claimed every CLAIM_EVERY of the claim timeout whatever the worker holds: a waiting job may
be waiting for one of them, and a worker too full to claim it would wait forever.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time

import redis.asyncio as redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from app.core.config import Settings
from app.core.db import create_db_pool
from app.core.queue import (
    ALIVE_RENEW_S,
    ALIVE_TTL_S,
    JOBS_STREAM,
    WORKER_GROUP,
    alive_key,
    ensure_worker_group,
)
from app.core.redis_client import close_redis_pool, get_redis, make_pool
from app.llm.client import ChatModel
from app.workers.heartbeat import Heartbeat
from app.workers.job import WorkerContext, handle_job
from app.workers.turns import TurnTaker

log = logging.getLogger("grizz.worker")

# Short enough that a stop request is noticed within about a second.
READ_BLOCK_MS = 1000
# A consumer idle this long with no alive key belongs to a worker that is gone.
DEAD_CONSUMER_IDLE_MS = 60_000
# After Redis errors, wait before trying again instead of spinning.
REDIS_RETRY_S = 1.0
# How often, as a part of the claim timeout, a worker looks for jobs to claim.
CLAIM_EVERY = 0.25
# Jobs in hand, waiting ones included, at most this many times WORKER_CONCURRENCY.
IN_HAND_PER_SLOT = 4
# Queries are short and the model calls hold no connection, so a few serve every job in hand.
DB_POOL_SIZE = 10
# The heartbeat's and the turn check's own: each runs one call at a time.
CONTROL_CONNECTIONS = 4


def consumer_name(index: int) -> str:
    return f"worker-{index}-{os.getpid()}"


class Worker:
    def __init__(self, settings: Settings, index: int) -> None:
        self.settings = settings
        self.name = consumer_name(index)
        self.stopping = asyncio.Event()
        self.in_hand: dict[str, asyncio.Task] = {}
        self.claim_cursor = "0-0"
        # Claims are looked for every CLAIM_EVERY of the claim timeout, not on every read:
        # a job is idle for the whole timeout before it may be claimed anyway.
        self.next_claim_at = 0.0
        self.unregistered = False  # set when Redis lost the group (flushed or restarted empty)
        self.waiting: set[str] = set()  # entry ids in hand that wait for their turn

    def stop(self) -> None:
        if not self.stopping.is_set():
            log.info("%s stopping: finishing %s job(s) in hand, giving back %s waiting for their turn",
                     self.name, len(self.in_hand) - len(self.waiting), len(self.waiting))
            self.stopping.set()

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stop)
        r = get_redis(self.settings)
        # The heartbeat and the turn check have connections of their own: hundreds of jobs
        # busy with Redis at once must not make them wait for one and miss a beat.
        control = redis.Redis(connection_pool=make_pool(self.settings.redis_url, CONTROL_CONNECTIONS))
        db = await create_db_pool(self.settings.database_url, DB_POOL_SIZE)
        ctx = WorkerContext(
            self.name, self.settings, r, db, ChatModel(self.settings),
            turns=TurnTaker(control, self.name, self.settings.claim_timeout_ms),
            heartbeat=Heartbeat(control, self.name, self.settings.claim_timeout_ms),
            model_slots=asyncio.Semaphore(self.settings.worker_concurrency),
            stopping=self.stopping, waiting=self.waiting,
        )
        await self.register(r)
        alive = asyncio.create_task(self.stay_alive(r))
        log.info("%s ready (concurrency %s)", self.name, self.settings.worker_concurrency)
        try:
            await self.consume(ctx)
            if self.in_hand:
                await asyncio.gather(*self.in_hand.values(), return_exceptions=True)
        finally:
            alive.cancel()
            await self.unregister(r)
            await ctx.model.close()
            await control.connection_pool.disconnect()
            await db.close()
            await close_redis_pool()
        log.info("%s stopped", self.name)

    async def register(self, r: redis.Redis) -> None:
        """Make this consumer known to the group and mark it alive (contract, section 4)."""
        await ensure_worker_group(r)
        await r.xgroup_createconsumer(JOBS_STREAM, WORKER_GROUP, self.name)
        await r.set(alive_key(self.name), str(os.getpid()), ex=ALIVE_TTL_S)
        await self.forget_dead_consumers(r)

    async def forget_dead_consumers(self, r: redis.Redis) -> None:
        """Delete consumers of killed workers that hold no job, so the group lists live ones.

        Only consumers without pending jobs go (deleting one with jobs would lose them), and
        only long idle ones without an alive key, so a worker that is starting is never hit.
        """
        for consumer in await r.xinfo_consumers(JOBS_STREAM, WORKER_GROUP):
            if consumer["pending"] or consumer["idle"] < DEAD_CONSUMER_IDLE_MS:
                continue
            if not await r.exists(alive_key(consumer["name"])):
                await r.xgroup_delconsumer(JOBS_STREAM, WORKER_GROUP, consumer["name"])
                log.info("%s removed the consumer of a stopped worker: %s", self.name, consumer["name"])

    async def unregister(self, r: redis.Redis) -> None:
        """On a clean stop: drop the alive key at once, and the consumer if it holds no job.

        A consumer with pending jobs (a model failure left one for re-delivery) must stay:
        deleting it would drop those jobs from the pending list and they would never be claimed.
        """
        try:
            await r.delete(alive_key(self.name))
            mine = await r.xpending_range(JOBS_STREAM, WORKER_GROUP, "-", "+", 1, consumername=self.name)
            if not mine:
                await r.xgroup_delconsumer(JOBS_STREAM, WORKER_GROUP, self.name)
        except redis.RedisError as error:
            log.warning("%s could not unregister: %s", self.name, error)

    async def stay_alive(self, r: redis.Redis) -> None:
        """Renew the alive key every second; a killed worker's key expires within 5 s."""
        while True:
            await asyncio.sleep(ALIVE_RENEW_S)
            try:
                await r.set(alive_key(self.name), str(os.getpid()), ex=ALIVE_TTL_S)
            except redis.RedisError as error:
                log.warning("%s could not renew its alive key: %s", self.name, error)

    def room(self) -> int:
        """How many new jobs to read: slots not taken by jobs past their turn, within the cap."""
        answering = len(self.in_hand) - len(self.waiting)
        cap = IN_HAND_PER_SLOT * self.settings.worker_concurrency
        return min(self.settings.worker_concurrency - answering, cap - len(self.in_hand))

    async def consume(self, ctx: WorkerContext) -> None:
        while not self.stopping.is_set():
            try:
                if self.unregistered:
                    await self.register(ctx.redis)
                    self.unregistered = False
                # Claimed jobs are always taken, even beyond the cap: see the module docstring.
                claimed = []
                if time.monotonic() >= self.next_claim_at:
                    claimed = await self.claim_idle(ctx.redis, self.settings.worker_concurrency)
                room = self.room() - len(claimed)
                fresh = []
                if room > 0:
                    # Block for new jobs only when there is nothing reclaimed to start now.
                    fresh = await self.read_new(ctx.redis, room, block=not claimed)
                elif not claimed:
                    # Full: wait for a job to end (or to start waiting its turn), then claim again.
                    await asyncio.wait(list(self.in_hand.values()), timeout=1,
                                       return_when=asyncio.FIRST_COMPLETED)
            except ResponseError as error:
                # NOGROUP, or UNBLOCKED when the stream was deleted under a blocked read: Redis
                # was flushed or restarted empty. Recreate the group and go on.
                lost = str(error).startswith(("NOGROUP", "UNBLOCKED"))
                log.warning("%s redis refused a read (%s); %s", self.name, error,
                            "recreating the group" if lost else f"retrying in {REDIS_RETRY_S}s")
                self.unregistered = True
                if not lost:
                    await asyncio.sleep(REDIS_RETRY_S)
                continue
            except (RedisConnectionError, RedisTimeoutError) as error:
                log.warning("%s redis unavailable (%s); retrying in %ss", self.name, error, REDIS_RETRY_S)
                await asyncio.sleep(REDIS_RETRY_S)
                continue
            for entry_id, fields in claimed:
                self.start(ctx, entry_id, fields, fresh=False)
            for entry_id, fields in fresh:
                self.start(ctx, entry_id, fields, fresh=True)

    async def claim_idle(self, r: redis.Redis, count: int) -> list[tuple[str, dict]]:
        """Take over jobs whose worker died: pending and idle longer than CLAIM_TIMEOUT_MS."""
        cursor, claimed, _deleted = await r.xautoclaim(
            JOBS_STREAM, WORKER_GROUP, self.name,
            min_idle_time=self.settings.claim_timeout_ms, start_id=self.claim_cursor, count=count,
        )
        self.claim_cursor = cursor
        # A full batch may have more behind it: look again on the next round.
        full = len(claimed) >= count
        self.next_claim_at = time.monotonic() + (0 if full else CLAIM_EVERY * self.settings.claim_timeout_ms / 1000)
        for entry_id, fields in claimed:
            log.info("%s reclaimed entry=%s job_id=%s conversation_id=%s",
                     self.name, entry_id, fields.get("job_id"), fields.get("conversation_id"))
        return [(entry_id, fields) for entry_id, fields in claimed if entry_id not in self.in_hand]

    async def read_new(self, r: redis.Redis, count: int, block: bool) -> list[tuple[str, dict]]:
        reply = await r.xreadgroup(
            WORKER_GROUP, self.name, {JOBS_STREAM: ">"}, count=count,
            block=READ_BLOCK_MS if block else None,
        )
        return [entry for _stream, entries in reply for entry in entries]

    def start(self, ctx: WorkerContext, entry_id: str, fields: dict, fresh: bool) -> None:
        task = asyncio.create_task(handle_job(ctx, entry_id, fields, fresh))
        self.in_hand[entry_id] = task

        def forget(done: asyncio.Task) -> None:
            if self.in_hand.get(entry_id) is done:
                del self.in_hand[entry_id]

        task.add_done_callback(forget)
