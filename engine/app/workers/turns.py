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

One script call answers for every job the worker has waiting, counts included: new jobs
are asked at once (those that arrive together, in one call), the others every TURN_POLL_S.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

import redis.asyncio as redis

from app.core.queue import CONVERSATION_JOBS_TTL_S, JOBS_STREAM, WORKER_GROUP, conversation_jobs

log = logging.getLogger("grizz.worker")

# Short, because the next reply of a conversation starts at most this long after the last.
TURN_POLL_S = 0.1

# KEYS[1] the job stream, KEYS[1 + i] the i-th job's conversation list; ARGV[1] the group,
# ARGV[2] this consumer, ARGV[3] the lists' lifetime, then three values per job: its entry
# id, its attempt (0: only ask, change no count), 1 if its count is lowered already.
# Returns, per job, 1 when it may go, 0 when it must wait. A waiting job's count is lowered
# by one, and put back when it may go, only while this consumer still holds the job.
TAKE_TURNS_LUA = """
local answers = {}
for i = 2, #KEYS do
  local list = KEYS[i]
  local at = 4 + (i - 2) * 3
  local entry, attempt, lowered = ARGV[at], tonumber(ARGV[at + 1]), ARGV[at + 2] == '1'
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
  redis.call('EXPIRE', list, ARGV[3])
  if attempt > 0 and (answer == 0) ~= lowered then
    local pending = redis.call('XPENDING', KEYS[1], ARGV[1], entry, entry, 1)
    if pending[1] ~= nil and pending[1][2] == ARGV[2] then
      redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, entry,
                 'RETRYCOUNT', attempt - 1 + answer, 'JUSTID')
    end
  end
  answers[#answers + 1] = answer
end
return answers
"""


@dataclass
class _Waiter:
    conversation_id: str
    attempt: int
    turn: asyncio.Future
    stopping: asyncio.Event
    tag: str
    since: float
    lowered: bool = False


class TurnTaker:
    """Runs the turn check; one per worker process, for all its waiting jobs at once."""

    def __init__(self, r: redis.Redis, consumer: str, claim_timeout_ms: int) -> None:
        self._r = r
        self._consumer = consumer
        self._claim_timeout_ms = claim_timeout_ms
        self._script = r.register_script(TAKE_TURNS_LUA)
        self._waiting: dict[str, _Waiter] = {}
        self._arrived = asyncio.Event()  # a job started waiting: ask at once
        self._poller: asyncio.Task | None = None

    async def _ask(self, jobs: list[tuple[str, str, int, bool]]) -> list[bool]:
        """(conversation, entry id, attempt, lowered) for each job: may it go now?"""
        keys = [JOBS_STREAM, *(conversation_jobs(job[0]) for job in jobs)]
        args: list = [WORKER_GROUP, self._consumer, CONVERSATION_JOBS_TTL_S]
        for _conversation, entry_id, attempt, lowered in jobs:
            args += [entry_id, attempt, int(lowered)]
        return [int(answer) == 1 for answer in await self._script(keys=keys, args=args)]

    async def is_my_turn(self, conversation_id: str, entry_id: str) -> bool:
        """Ask only: no delivery count changes."""
        return (await self._ask([(conversation_id, entry_id, 0, False)]))[0]

    async def wait(
        self, conversation_id: str, entry_id: str, attempt: int, stopping: asyncio.Event, tag: str,
    ) -> bool:
        """Wait until the job is first in its conversation; False if the worker stops first.

        No time-out: the job ahead may take long, and if its worker dies it is reclaimed
        and finished (or dead-lettered) by another. On False the job is left pending with
        its wait uncounted; call release() once its heartbeat has stopped.
        """
        turn = asyncio.get_running_loop().create_future()
        self._waiting[entry_id] = _Waiter(conversation_id, attempt, turn, stopping, tag, time.monotonic())
        self._arrived.set()
        if self._poller is None:
            self._poller = asyncio.create_task(self._poll_while_waiting(), name="turns")
        try:
            return await turn
        finally:
            self._waiting.pop(entry_id, None)

    async def _poll_while_waiting(self) -> None:
        try:
            while self._waiting:
                self._arrived.clear()
                await self._poll()
                if self._waiting and not self._arrived.is_set():
                    try:
                        await asyncio.wait_for(self._arrived.wait(), TURN_POLL_S)
                    except asyncio.TimeoutError:
                        pass
        finally:
            self._poller = None

    async def _poll(self) -> None:
        asked: list[tuple[str, _Waiter]] = []
        for entry_id, waiter in list(self._waiting.items()):
            if waiter.turn.done():
                continue
            if waiter.stopping.is_set():
                waiter.turn.set_result(False)
            else:
                asked.append((entry_id, waiter))
        if not asked:
            return
        try:
            answers = await self._ask([(w.conversation_id, entry_id, w.attempt, w.lowered)
                                       for entry_id, w in asked])
        except redis.RedisError as error:
            log.warning("%s could not check %s job(s) for their turn: %s", self._consumer, len(asked), error)
            return
        for (_entry_id, waiter), may_go in zip(asked, answers):
            if waiter.turn.done():
                continue
            if may_go:
                if waiter.lowered:
                    log.debug("%s its turn came after %.1fs", waiter.tag, time.monotonic() - waiter.since)
                waiter.turn.set_result(True)
            elif not waiter.lowered:
                waiter.lowered = True
                log.debug("%s waiting for the earlier jobs of its conversation", waiter.tag)

    async def release(self, entry_id: str, attempt: int) -> None:
        """Make a waiting job that this stopping worker gives up claimable at once.

        IDLE makes it look idle for the claim timeout already, so the next XAUTOCLAIM of any
        live worker takes it; the count stays one lower, and that claim adds the one back.
        """
        await self._r.xclaim(
            JOBS_STREAM, WORKER_GROUP, self._consumer, 0, [entry_id],
            idle=self._claim_timeout_ms, retrycount=attempt - 1, justid=True,
        )
