"""Replies in order within a conversation: the turn check, against a real redis-server."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from app.core.queue import JOBS_STREAM, WORKER_GROUP, JobAdmitter, conversation_jobs, ensure_worker_group
from app.workers.job import acknowledge, dead_letter
from app.workers.turns import TurnTaker

CLAIM_TIMEOUT_MS = 60_000


def job(n: int, conversation: str = "c") -> dict[str, str]:
    return {"job_id": f"job-{n}", "conversation_id": conversation, "user_id": "u",
            "message_id": f"m-{n}", "client_message_id": f"cm-{n}", "enqueued_at": "0"}


async def admit_and_read(r, *conversations: str) -> list[str]:
    """Admit one job per conversation given, deliver them all to consumer w1; their entry ids."""
    await ensure_worker_group(r)
    admitter = JobAdmitter(r, hard_limit=100)
    ids = [(await admitter.admit(job(n, c))).entry_id for n, c in enumerate(conversations)]
    await r.xreadgroup(WORKER_GROUP, "w1", {JOBS_STREAM: ">"}, count=len(ids))
    return ids


async def times_delivered(r, entry_id: str) -> int:
    [entry] = await r.xpending_range(JOBS_STREAM, WORKER_GROUP, min=entry_id, max=entry_id, count=1)
    return entry["times_delivered"]


async def until_waiting(r, entry_id: str) -> None:
    """Bounded poll (2 s) until a waiter has taken its wait off the job's delivery count."""
    for _ in range(200):
        if await times_delivered(r, entry_id) == 0:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"job {entry_id} still counted as delivered after 2 s")


def test_the_first_job_goes_and_the_next_waits_until_it_is_acknowledged(with_redis):
    async def scenario(r):
        first, second = await admit_and_read(r, "c", "c")
        turns = TurnTaker(r, "w1", CLAIM_TIMEOUT_MS)
        before = (await turns.is_my_turn("c", first), await turns.is_my_turn("c", second))
        await acknowledge(r, first, "c")
        return before, await turns.is_my_turn("c", second)

    assert with_redis(scenario) == ((True, False), True)


def test_other_conversations_do_not_wait(with_redis):
    async def scenario(r):
        a1, _a2, b1 = await admit_and_read(r, "a", "a", "b")
        turns = TurnTaker(r, "w1", CLAIM_TIMEOUT_MS)
        return await turns.is_my_turn("a", a1), await turns.is_my_turn("b", b1)

    assert with_redis(scenario) == (True, True)


def test_a_job_not_on_the_list_never_waits(with_redis):
    """Jobs added to the stream by other means (a test's filler) are never blocked."""
    async def scenario(r):
        await admit_and_read(r, "c")
        stray = await r.xadd(JOBS_STREAM, job(9, "c"))
        return await TurnTaker(r, "w1", CLAIM_TIMEOUT_MS).is_my_turn("c", stray)

    assert with_redis(scenario) is True


def test_a_head_gone_from_the_stream_is_dropped_not_waited_for(with_redis):
    """An entry deleted without passing through the engine cannot block its conversation."""
    async def scenario(r):
        first, second = await admit_and_read(r, "c", "c")
        await r.xdel(JOBS_STREAM, first)  # no LREM: as a manual clean-up would leave it
        my_turn = await TurnTaker(r, "w1", CLAIM_TIMEOUT_MS).is_my_turn("c", second)
        return my_turn, await r.lrange(conversation_jobs("c"), 0, -1), second

    my_turn, remaining, second = with_redis(scenario)
    assert my_turn is True
    assert remaining == [second]


def test_dead_lettering_removes_the_job_from_its_conversation_list(with_redis):
    async def scenario(r):
        first, second = await admit_and_read(r, "c", "c")
        ctx = SimpleNamespace(redis=r, settings=SimpleNamespace(result_ttl_s=10))
        await dead_letter(ctx, first, job(0, "c"), "test")
        return await r.lrange(conversation_jobs("c"), 0, -1), second

    remaining, second = with_redis(scenario)
    assert remaining == [second]


def test_a_waiting_job_goes_when_the_one_ahead_is_acknowledged_and_its_wait_is_not_counted(with_redis):
    """While waiting the delivery count is one lower; when the turn comes it is put back."""
    async def scenario(r):
        first, second = await admit_and_read(r, "c", "c")
        turns = TurnTaker(r, "w1", CLAIM_TIMEOUT_MS)
        waiter = asyncio.create_task(turns.wait("c", second, 1, asyncio.Event(), "test"))
        await until_waiting(r, second)
        during = (waiter.done(), await times_delivered(r, second))
        await acknowledge(r, first, "c")
        went = await asyncio.wait_for(waiter, 2)
        return during, went, await times_delivered(r, second)

    assert with_redis(scenario) == ((False, 0), True, 1)


def test_a_stopping_worker_gives_a_waiting_job_back_claimable_at_once(with_redis):
    """Given back, the job is claimed by the next XAUTOCLAIM, with its wait not counted."""
    async def scenario(r):
        _first, second = await admit_and_read(r, "c", "c")
        turns = TurnTaker(r, "w1", CLAIM_TIMEOUT_MS)
        stopping = asyncio.Event()
        waiter = asyncio.create_task(turns.wait("c", second, 1, stopping, "test"))
        await until_waiting(r, second)
        stopping.set()
        went = await asyncio.wait_for(waiter, 2)
        await turns.release(second, 1)
        _cursor, claimed, _gone = await r.xautoclaim(
            JOBS_STREAM, WORKER_GROUP, "w2", min_idle_time=CLAIM_TIMEOUT_MS, start_id="0-0")
        return went, [entry_id for entry_id, _ in claimed], second, await times_delivered(r, second)

    went, claimed, second, count = with_redis(scenario)
    assert went is False
    assert claimed == [second]
    assert count == 1
