"""Replies in order within a conversation: a job waits until it is first in line.

The admission script appends each job's stream entry id to its conversation's list
(`conversation_jobs`), in the order the jobs were admitted. A worker holding jobs asks,
every TURN_POLL_S and in one script call for all of them, whether each entry is at the
head of its list; acknowledging, dead-lettering or dropping a job removes it from the
list, which lets the next one go.

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

# KEYS[1] the job stream, KEYS[1 + i] the i-th job's conversation list; ARGV[1] the lists'
# lifetime, ARGV[1 + i] the i-th job's entry id. Returns, per job, 1 when it may go, 0 when
# it must wait. One call answers for every job a worker has waiting.
TAKE_TURNS_LUA = """
local answers = {}
for i = 2, #KEYS do
  local list, entry = KEYS[i], ARGV[i]
  local answer = 1
  while true do
    local head = redis.call('LINDEX', list, 0)
    if not head or head == entry then
      break
    end
    if #redis.call('XRANGE', KEYS[1], head, head) > 0 then
      if redis.call('LPOS', list, entry) then
        answer = 0
      end
      break
    end
    redis.call('LPOP', list)
  end
  redis.call('EXPIRE', list, ARGV[1])
  answers[#answers + 1] = answer
end
return answers
"""


class TurnTaker:
    """Runs the turn check; one per worker process, polling for all its waiting jobs at once."""

    def __init__(self, r: redis.Redis, consumer: str, claim_timeout_ms: int) -> None:
        self._r = r
        self._consumer = consumer
        self._claim_timeout_ms = claim_timeout_ms
        self._script = r.register_script(TAKE_TURNS_LUA)
        # entry id -> (conversation, resolved True when its turn comes, False when stopping)
        self._waiting: dict[str, tuple[str, asyncio.Future, asyncio.Event]] = {}
        self._poller: asyncio.Task | None = None

    async def are_their_turns(self, jobs: list[tuple[str, str]]) -> list[bool]:
        """For (conversation, entry id) pairs: may each go now?"""
        keys = [JOBS_STREAM, *(conversation_jobs(conversation) for conversation, _ in jobs)]
        args = [CONVERSATION_JOBS_TTL_S, *(entry_id for _, entry_id in jobs)]
        return [int(answer) == 1 for answer in await self._script(keys=keys, args=args)]

    async def is_my_turn(self, conversation_id: str, entry_id: str) -> bool:
        return (await self.are_their_turns([(conversation_id, entry_id)]))[0]

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
        log.debug("%s waiting for the earlier jobs of its conversation", tag)
        await self._set_delivery_count(entry_id, attempt - 1)
        began = time.monotonic()
        turn = asyncio.get_running_loop().create_future()
        self._waiting[entry_id] = (conversation_id, turn, stopping)
        if self._poller is None:
            self._poller = asyncio.create_task(self._poll_while_waiting(), name="turns")
        try:
            my_turn = await turn
        finally:
            self._waiting.pop(entry_id, None)
        if my_turn:
            await self._set_delivery_count(entry_id, attempt)
            log.debug("%s its turn came after %.1fs", tag, time.monotonic() - began)
        return my_turn

    async def _poll_while_waiting(self) -> None:
        try:
            while self._waiting:
                await asyncio.sleep(TURN_POLL_S)
                await self._poll()
        finally:
            self._poller = None

    async def _poll(self) -> None:
        jobs = []
        for entry_id, (conversation_id, turn, stopping) in list(self._waiting.items()):
            if turn.done():
                continue
            if stopping.is_set():
                turn.set_result(False)
            else:
                jobs.append((conversation_id, entry_id))
        if not jobs:
            return
        try:
            answers = await self.are_their_turns(jobs)
        except redis.RedisError as error:
            log.warning("%s could not check %s job(s) for their turn: %s", self._consumer, len(jobs), error)
            return
        for (_conversation, entry_id), may_go in zip(jobs, answers):
            waiting = self._waiting.get(entry_id)
            if may_go and waiting is not None and not waiting[1].done():
                waiting[1].set_result(True)
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
