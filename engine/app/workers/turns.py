"""Replies in order within a conversation: a job waits until it is first in line.

The admission script appends each job's stream entry id to its conversation's list
(`conversation_jobs`), in the order the jobs were admitted. A worker holding a job asks,
every TURN_POLL_S, whether that entry is at the head of the list; acknowledging,
dead-lettering or dropping a job removes it from the list, which lets the next one go.

A job absent from the list (put on the stream by other means) never waits. A head whose
entry is no longer in the stream was removed without passing through the engine; the
check drops it instead of waiting for it forever.

Waiting does not count as a delivery: while a job waits its delivery count is set one
lower, so that a worker stopped or killed while holding waiting jobs does not bring them
closer to the dead-letter limit. The count is put back when the job's turn comes.
"""

from __future__ import annotations

import asyncio
import logging
import time

import redis.asyncio as redis

from app.core.queue import CONVERSATION_JOBS_TTL_S, JOBS_STREAM, WORKER_GROUP, conversation_jobs

log = logging.getLogger("grizz.worker")

# Short, because the next reply of a conversation starts at most this long after the last.
TURN_POLL_S = 0.1

# KEYS[1] the conversation's job list, KEYS[2] the job stream; ARGV[1] the entry id,
# ARGV[2] the list's lifetime. Returns 1 when the entry may go, 0 when it must wait.
TAKE_TURN_LUA = """
while true do
  local head = redis.call('LINDEX', KEYS[1], 0)
  if not head or head == ARGV[1] then
    break
  end
  if #redis.call('XRANGE', KEYS[2], head, head) > 0 then
    if redis.call('LPOS', KEYS[1], ARGV[1]) then
      redis.call('EXPIRE', KEYS[1], ARGV[2])
      return 0
    end
    return 1
  end
  redis.call('LPOP', KEYS[1])
end
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1
"""


class TurnTaker:
    """Runs the turn check; one per worker process (redis-py caches the script's SHA)."""

    def __init__(self, r: redis.Redis, consumer: str, claim_timeout_ms: int) -> None:
        self._r = r
        self._consumer = consumer
        self._claim_timeout_ms = claim_timeout_ms
        self._script = r.register_script(TAKE_TURN_LUA)

    async def is_my_turn(self, conversation_id: str, entry_id: str) -> bool:
        keys = [conversation_jobs(conversation_id), JOBS_STREAM]
        return int(await self._script(keys=keys, args=[entry_id, CONVERSATION_JOBS_TTL_S])) == 1

    async def wait(
        self, conversation_id: str, entry_id: str, attempt: int, stopping: asyncio.Event, tag: str,
    ) -> bool:
        """Wait until the job is first in its conversation; False if the worker stops first.

        No time-out: the job ahead may take long, and if its worker dies it is reclaimed
        and finished (or dead-lettered) by another. On False the job is left pending with
        its wait uncounted; call release() once its heartbeat has stopped.
        """
        if await self.is_my_turn(conversation_id, entry_id):
            return True
        log.info("%s waiting for the earlier jobs of its conversation", tag)
        await self._set_delivery_count(entry_id, attempt - 1)
        began = time.monotonic()
        while not stopping.is_set():
            try:
                await asyncio.wait_for(stopping.wait(), TURN_POLL_S)
            except asyncio.TimeoutError:
                pass
            else:
                break
            if await self.is_my_turn(conversation_id, entry_id):
                await self._set_delivery_count(entry_id, attempt)
                log.debug("%s its turn came after %.1fs", tag, time.monotonic() - began)
                return True
        return False

    async def release(self, entry_id: str, attempt: int) -> None:
        """Make a waiting job that this stopping worker gives up claimable at once.

        IDLE makes it look idle for the claim timeout already, so the next XAUTOCLAIM of any
        live worker takes it; the count stays one lower, and that claim adds the one back.
        """
        await self._r.xclaim(
            JOBS_STREAM, WORKER_GROUP, self._consumer, 0, [entry_id],
            idle=self._claim_timeout_ms, retrycount=attempt - 1, justid=True,
        )

    async def _set_delivery_count(self, entry_id: str, count: int) -> None:
        # XCLAIM by the owner with min-idle 0 and JUSTID changes nothing but the count.
        await self._r.xclaim(
            JOBS_STREAM, WORKER_GROUP, self._consumer, 0, [entry_id], retrycount=count, justid=True,
        )
