"""The heartbeat keeps a job only for the worker that owns it, against a real redis-server."""

from __future__ import annotations

from app.core.queue import JOBS_STREAM, WORKER_GROUP
from app.workers.heartbeat import HEARTBEAT_LUA


async def delivered_to(r, consumer: str) -> str:
    await r.xgroup_create(JOBS_STREAM, WORKER_GROUP, id="0", mkstream=True)
    entry_id = await r.xadd(JOBS_STREAM, {"job_id": "j"})
    await r.xreadgroup(WORKER_GROUP, consumer, {JOBS_STREAM: ">"}, count=1)
    return entry_id


async def owner(r, entry_id: str) -> str:
    [entry] = await r.xpending_range(JOBS_STREAM, WORKER_GROUP, min=entry_id, max=entry_id, count=1)
    return entry["consumer"]


def test_the_owner_keeps_its_job(with_redis):
    """The worker that has the job resets its idle time and keeps it."""
    async def scenario(r):
        entry_id = await delivered_to(r, "w1")
        beat = r.register_script(HEARTBEAT_LUA)
        [kept] = await beat(keys=[JOBS_STREAM], args=[WORKER_GROUP, "w1", entry_id])
        return int(kept), await owner(r, entry_id)
    assert with_redis(scenario) == (1, "w1")


def test_a_stalled_worker_does_not_take_back_a_reclaimed_job(with_redis):
    """Once another worker has claimed the job, the old heartbeat reports it lost and leaves it."""
    async def scenario(r):
        entry_id = await delivered_to(r, "w1")
        await r.xclaim(JOBS_STREAM, WORKER_GROUP, "w2", 0, [entry_id])
        beat = r.register_script(HEARTBEAT_LUA)
        [kept] = await beat(keys=[JOBS_STREAM], args=[WORKER_GROUP, "w1", entry_id])
        return int(kept), await owner(r, entry_id)
    assert with_redis(scenario) == (0, "w2")
