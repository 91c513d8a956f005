"""Keeping the jobs a worker holds from looking idle: one script call a beat for all of them.

A job pending longer than the claim timeout is taken over by another worker (XAUTOCLAIM), so
while a worker holds a job, waiting for its turn or writing its reply, it resets the job's
idle time every third of the claim timeout. One call covers every job in hand, so the cost
of a beat does not grow with the number of round trips, and a busy event loop has one task
to schedule on time, not one per job.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Callable

import redis.asyncio as redis

from app.core.queue import JOBS_STREAM, WORKER_GROUP

log = logging.getLogger("grizz.worker")

# Resets each entry's idle time only while this worker still owns it. A plain XCLAIM with
# min-idle 0 would take the job back from a worker that rightly reclaimed it after this one
# stalled, and two workers would then write the same reply. JUSTID counts no delivery.
# KEYS[1] job stream; ARGV[1] group, ARGV[2] this consumer, ARGV[3..] entry ids.
# Returns, per entry, 1 if it is still this worker's, 0 if another worker has it, -1 if it
# is no longer pending (acknowledged: by this worker a moment ago, or by another).
HEARTBEAT_LUA = """
local kept = {}
for i = 3, #ARGV do
  local pending = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1)
  if pending[1] == nil then
    kept[#kept + 1] = -1
  elseif pending[1][2] ~= ARGV[2] then
    kept[#kept + 1] = 0
  else
    redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[i], 'JUSTID')
    kept[#kept + 1] = 1
  end
end
return kept
"""


class Heartbeat:
    def __init__(self, r: redis.Redis, consumer: str, claim_timeout_ms: int) -> None:
        self._consumer = consumer
        self._interval_s = claim_timeout_ms / 3000
        self._script = r.register_script(HEARTBEAT_LUA)
        self._held: dict[str, Callable[[bool], None]] = {}
        self._task: asyncio.Task | None = None

    def hold(self, entry_id: str, on_lost: Callable[[bool], None]) -> None:
        """Beat for this job until drop(); on_lost(taken) once it is not this worker's any more:
        taken True when another worker has it, False when it is no longer pending."""
        self._held[entry_id] = on_lost
        if self._task is None:
            self._task = asyncio.create_task(self._beat_while_holding(), name="heartbeat")

    def drop(self, entry_id: str) -> None:
        self._held.pop(entry_id, None)

    async def _beat_while_holding(self) -> None:
        try:
            while self._held:
                await asyncio.sleep(self._interval_s)
                await self.beat()
        finally:
            self._task = None

    async def beat(self) -> None:
        entry_ids = list(self._held)
        if not entry_ids:
            return
        try:
            kept = await self._script(keys=[JOBS_STREAM], args=[WORKER_GROUP, self._consumer, *entry_ids])
        except redis.RedisError as error:
            log.warning("%s heartbeat failed for %s job(s): %s", self._consumer, len(entry_ids), error)
            return
        for entry_id, answer in zip(entry_ids, kept):
            if int(answer) != 1:
                on_lost = self._held.pop(entry_id, None)
                if on_lost is not None:
                    on_lost(int(answer) == 0)
