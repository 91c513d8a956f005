"""The admission Lua script and the queue helpers, against a real redis-server."""

from __future__ import annotations

import asyncio

import pytest

from app.core.queue import (
    CONVERSATION_JOBS_TTL_S,
    JOBS_STREAM,
    WORKER_GROUP,
    JobAdmitter,
    backpressure_at,
    check_backpressure,
    conversation_jobs,
    ensure_worker_group,
    get_pending_job_count,
)
from app.workers.job import acknowledge


def job(n: int, conversation: str = "c") -> dict[str, str]:
    return {"job_id": f"job-{n}", "conversation_id": conversation, "user_id": "u",
            "message_id": f"m-{n}", "client_message_id": f"cm-{n}", "enqueued_at": "0"}


def test_admits_below_the_hard_limit_and_reports_the_depth_before(with_redis):
    """Below the hard limit the job is added and the depth before it is returned."""
    async def scenario(r):
        admitter = JobAdmitter(r, hard_limit=5)
        results = [await admitter.admit(job(n)) for n in range(3)]
        return results, await r.xlen(JOBS_STREAM), await r.xrange(JOBS_STREAM)

    results, depth, entries = with_redis(scenario)
    assert [(a.admitted, a.depth_before) for a in results] == [(True, 0), (True, 1), (True, 2)]
    assert depth == 3
    assert entries[0][1] == job(0)
    assert [a.entry_id for a in results] == [entry_id for entry_id, _ in entries]


def test_admission_queues_each_entry_on_its_conversation_list_in_order(with_redis):
    """Each admitted entry id is appended to llm_conversation:{id}:jobs, which gets a lifetime."""
    async def scenario(r):
        admitter = JobAdmitter(r, hard_limit=10)
        a = [await admitter.admit(job(n, conversation)) for n, conversation in enumerate("abab")]
        return (a, await r.lrange(conversation_jobs("a"), 0, -1),
                await r.lrange(conversation_jobs("b"), 0, -1), await r.ttl(conversation_jobs("a")))

    admissions, list_a, list_b, ttl = with_redis(scenario)
    assert list_a == [admissions[0].entry_id, admissions[2].entry_id]
    assert list_b == [admissions[1].entry_id, admissions[3].entry_id]
    assert 0 < ttl <= CONVERSATION_JOBS_TTL_S


def test_a_refused_job_is_not_queued_on_its_conversation_list(with_redis):
    """At the hard limit nothing is added to the conversation's list either."""
    async def scenario(r):
        admitter = JobAdmitter(r, hard_limit=1)
        await admitter.admit(job(0, "a"))
        await admitter.admit(job(1, "b"))
        return await r.exists(conversation_jobs("b"))

    assert with_redis(scenario) == 0


def test_acknowledging_removes_the_entry_from_its_conversation_list(with_redis):
    """XACK, XDEL and LREM go together; the emptied list disappears."""
    async def scenario(r):
        await ensure_worker_group(r)
        admitted = await JobAdmitter(r, hard_limit=5).admit(job(0, "a"))
        await r.xreadgroup(WORKER_GROUP, "w", {JOBS_STREAM: ">"}, count=1)
        await acknowledge(r, admitted.entry_id, "a")
        return await r.xlen(JOBS_STREAM), await r.exists(conversation_jobs("a"))

    assert with_redis(scenario) == (0, 0)


def test_refuses_at_the_hard_limit_without_adding(with_redis):
    """At the hard limit the job is refused and the stream is unchanged."""
    async def scenario(r):
        admitter = JobAdmitter(r, hard_limit=2)
        for n in range(2):
            await admitter.admit(job(n))
        refused = await admitter.admit(job(2))
        return refused, await r.xlen(JOBS_STREAM)

    refused, depth = with_redis(scenario)
    assert (refused.admitted, refused.depth_before, refused.entry_id) == (False, 2, None)
    assert depth == 2


def test_concurrent_admissions_never_pass_the_hard_limit(with_redis):
    """However many admissions race, exactly hard-limit jobs get in and XLEN stops there."""
    async def scenario(r):
        admitters = [JobAdmitter(r, hard_limit=25) for _ in range(4)]
        results = await asyncio.gather(*(admitters[n % 4].admit(job(n)) for n in range(200)))
        return results, await r.xlen(JOBS_STREAM)

    results, depth = with_redis(scenario)
    assert sum(a.admitted for a in results) == 25
    assert depth == 25
    assert sorted(a.depth_before for a in results if a.admitted) == list(range(25))


def test_admission_creates_the_group_so_the_first_job_is_delivered(with_redis):
    """On an empty (e.g. flushed) Redis the script creates llm_workers at id 0, so workers read the job."""
    async def scenario(r):
        await JobAdmitter(r, hard_limit=5).admit(job(0))
        return await r.xreadgroup(WORKER_GROUP, "w", {JOBS_STREAM: ">"}, count=10)

    [[stream, entries]] = with_redis(scenario)
    assert stream == JOBS_STREAM
    assert [fields["job_id"] for _, fields in entries] == ["job-0"]


def test_depth_counts_pending_jobs_until_acknowledged(with_redis):
    """Read-but-unacknowledged jobs still count; XACK plus XDEL removes them from the depth."""
    async def scenario(r):
        await ensure_worker_group(r)
        admitter = JobAdmitter(r, hard_limit=5)
        for n in range(3):
            await admitter.admit(job(n))
        [[_, entries]] = await r.xreadgroup(WORKER_GROUP, "w", {JOBS_STREAM: ">"}, count=2)
        after_read = await get_pending_job_count(r)
        await acknowledge(r, entries[0][0])
        after_ack = await get_pending_job_count(r)
        pending = await r.xpending(JOBS_STREAM, WORKER_GROUP)
        return after_read, after_ack, pending["pending"]

    assert with_redis(scenario) == (3, 2, 1)


def test_ensure_worker_group_is_idempotent(with_redis):
    """Creating the group twice is harmless (BUSYGROUP is ignored)."""
    async def scenario(r):
        await ensure_worker_group(r)
        await ensure_worker_group(r)
        return [group["name"] for group in await r.xinfo_groups(JOBS_STREAM)]

    assert with_redis(scenario) == [WORKER_GROUP]


@pytest.mark.parametrize(
    "depth, busy, full", [(0, False, False), (2, False, False), (3, True, False), (5, True, True)]
)
def test_backpressure_levels(depth, busy, full):
    """Busy from the soft limit on, full from the hard limit on (soft 3, hard 5)."""
    level = backpressure_at(depth, soft_limit=3, hard_limit=5)
    assert (level.busy, level.full) == (busy, full)


def test_check_backpressure_reads_the_live_depth(with_redis):
    """check_backpressure reports the stream's current depth against the limits."""
    async def scenario(r):
        admitter = JobAdmitter(r, hard_limit=10)
        for n in range(4):
            await admitter.admit(job(n))
        return await check_backpressure(r, soft_limit=3, hard_limit=10)

    level = with_redis(scenario)
    assert (level.depth, level.busy, level.full) == (4, True, False)
