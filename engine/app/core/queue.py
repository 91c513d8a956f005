"""The job queue in Redis: names, depth, back-pressure and atomic admission.

Workers XACK then XDEL every job they finish, so the stream holds exactly the jobs nobody
has acknowledged and the queue depth is simply XLEN llm_jobs (contract, section 4).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import redis.asyncio as redis
from redis.exceptions import ResponseError

JOBS_STREAM = "llm_jobs"
WORKER_GROUP = "llm_workers"
DEAD_LETTERS = "llm_jobs:dead"
# A live worker keeps its key with this lifetime, renewed every ALIVE_RENEW_S (contract, 4).
ALIVE_TTL_S = 5
ALIVE_RENEW_S = 1


def results_stream(job_id: str) -> str:
    return f"llm_results:{job_id}"


def alive_key(consumer: str) -> str:
    return f"llm_workers:alive:{consumer}"


# The jobs of one conversation in the order they were admitted (stream entry ids). A job
# waits for its turn on this list, so the replies of a conversation come one after another
# (engine/README.md, "Replies in order"). Entries leave it when their job is acknowledged,
# dead-lettered or dropped; an emptied list disappears. The lifetime, renewed on every use,
# only bounds what a job that vanished by other means (a manual XDEL) could leave behind; it
# is long because a job queued while the workers are paused must keep its place.
CONVERSATION_JOBS_TTL_S = 86_400


def conversation_jobs(conversation_id: str) -> str:
    return f"llm_conversation:{conversation_id}:jobs"


# Checking the depth and adding the jobs in one script is what makes admission atomic:
# however many API processes race, the depth never passes the hard limit. Queuing each entry
# on its conversation's list in the same script makes the list's order the stream's order.
# Several jobs go in one call, in order, each checked against the depth the ones before it
# left: as if each were admitted alone, one after another.
# KEYS[1] job stream, KEYS[1 + i] the i-th job's conversation list; ARGV[1] hard limit;
# ARGV[2] group; ARGV[3] list lifetime (s); ARGV[4] how many strings each job's fields take;
# then each job's field, value, ... Returns, per job, {1, depth before, id} or {0, depth}.
# An empty stream may be a new or flushed Redis: the group is made sure of, at id 0 so the
# job added next is delivered (pcall swallows BUSYGROUP when it exists).
ADMIT_JOBS_LUA = """
local limit, per = tonumber(ARGV[1]), tonumber(ARGV[4])
local depth = redis.call('XLEN', KEYS[1])
local results = {}
for i = 2, #KEYS do
  if depth >= limit then
    results[#results + 1] = {0, depth}
  else
    if depth == 0 then
      redis.pcall('XGROUP', 'CREATE', KEYS[1], ARGV[2], '0', 'MKSTREAM')
    end
    local fields = {}
    local first = 4 + (i - 2) * per
    for j = 1, per do
      fields[j] = ARGV[first + j]
    end
    local id = redis.call('XADD', KEYS[1], '*', unpack(fields))
    redis.call('RPUSH', KEYS[i], id)
    redis.call('EXPIRE', KEYS[i], ARGV[3])
    results[#results + 1] = {1, depth, id}
    depth = depth + 1
  end
end
return results
"""


@dataclass(frozen=True)
class Admission:
    admitted: bool
    depth_before: int
    entry_id: str | None = None


@dataclass(frozen=True)
class Backpressure:
    depth: int
    busy: bool  # at or above the soft limit: accept, with a queue_busy notice
    full: bool  # at or above the hard limit: refuse with overloaded


def backpressure_at(depth: int, soft_limit: int, hard_limit: int) -> Backpressure:
    return Backpressure(depth=depth, busy=depth >= soft_limit, full=depth >= hard_limit)


async def get_pending_job_count(r: redis.Redis) -> int:
    """Queue depth: undelivered plus pending jobs, which is XLEN (see module docstring)."""
    return int(await r.xlen(JOBS_STREAM))


async def check_backpressure(r: redis.Redis, soft_limit: int, hard_limit: int) -> Backpressure:
    """The current pressure, for reporting; admission decides atomically on its own."""
    return backpressure_at(await get_pending_job_count(r), soft_limit, hard_limit)


async def ensure_worker_group(r: redis.Redis) -> None:
    """Create the consumer group (and stream) if missing; id 0 so no queued job is skipped."""
    try:
        await r.xgroup_create(JOBS_STREAM, WORKER_GROUP, id="0", mkstream=True)
    except ResponseError as error:
        if "BUSYGROUP" not in str(error):
            raise


class JobAdmitter:
    """Runs the admission script; one per Redis client (redis-py caches the script's SHA)."""

    def __init__(self, r: redis.Redis, hard_limit: int) -> None:
        self._many = r.register_script(ADMIT_JOBS_LUA)
        self._hard_limit = hard_limit

    async def admit_many(self, jobs: list[Mapping[str, str]]) -> list[Admission]:
        """Queue jobs in order, each unless the queue is at the hard limit by then. Every job
        has the same fields, in the same order."""
        fields = list(jobs[0])
        args: list[str] = [str(self._hard_limit), WORKER_GROUP, str(CONVERSATION_JOBS_TTL_S),
                           str(2 * len(fields))]
        for job in jobs:
            for field in fields:
                args += [field, str(job[field])]
        keys = [JOBS_STREAM, *(conversation_jobs(str(job["conversation_id"])) for job in jobs)]
        return [Admission(admitted=True, depth_before=int(reply[1]), entry_id=str(reply[2]))
                if int(reply[0]) == 1 else Admission(admitted=False, depth_before=int(reply[1]))
                for reply in await self._many(keys=keys, args=args)]

    async def admit(self, job: Mapping[str, str]) -> Admission:
        """Queue the job (it needs a conversation_id) unless the queue is at the hard limit."""
        [admission] = await self.admit_many([job])
        return admission
