"""The API's one result reader, against a real redis-server: every relay gets its job's
entries in order, whenever they were written, and through a Redis restart."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time

import pytest
import redis.asyncio as redis

from app.api.relay import relay_results
from app.api.results_reader import ResultReader, Subscription
from app.core.queue import results_stream
from app.core.redis_client import make_pool

from .conftest import _answers_ping, _free_port

JOB = "00000000-0000-0000-0000-00000000000{}"


def chunk(job: int, seq: int) -> dict:
    return {"type": "chunk", "job_id": JOB.format(job), "attempt": "1", "seq": str(seq),
            "content": f"piece {seq} "}


def done(job: int) -> dict:
    return {"type": "done", "job_id": JOB.format(job), "attempt": "1", "message_id": "m",
            "content": "whole"}


async def collect(reader: ResultReader, job: int, within_s: float = 5) -> list[dict]:
    """The frames one relay sends, until its done."""
    frames: list[dict] = []

    async def send(frame: dict) -> None:
        frames.append(frame)
    await asyncio.wait_for(relay_results(reader, JOB.format(job), f"cm{job}", send), within_s)
    return frames


async def until(condition, what: str, within_s: float = 5) -> None:
    """Bounded poll for a state of the reader the scenario needs before it goes on."""
    deadline = time.monotonic() + within_s
    while not condition():
        assert time.monotonic() < deadline, f"{what}: not within {within_s} s"
        await asyncio.sleep(0.01)


def with_reader(with_redis, scenario):
    async def run(r):
        reader = ResultReader(r)
        reader.start()
        try:
            return await scenario(r, reader)
        finally:
            await reader.stop()
    return with_redis(run)


def test_a_reply_written_before_the_relay_subscribed_arrives_whole(with_redis):
    """Entries already in the stream are read from its start."""
    async def scenario(r, reader):
        for seq in range(3):
            await r.xadd(results_stream(JOB.format(1)), chunk(1, seq))
        await r.xadd(results_stream(JOB.format(1)), done(1))
        return await collect(reader, 1)
    frames = with_reader(with_redis, scenario)
    assert [(f["type"], f.get("seq")) for f in frames] == [
        ("chunk", 0), ("chunk", 1), ("chunk", 2), ("done", None)]


def test_relays_of_many_jobs_each_get_their_own_reply_in_order(with_redis):
    """One reader serves every relay; a stream added while the read blocks is picked up."""
    async def scenario(r, reader):
        relays = [asyncio.create_task(collect(reader, job)) for job in range(1, 6)]
        await until(lambda: len(reader._reading) == 6, "the reader blocked on 5 streams")
        late = asyncio.create_task(collect(reader, 6))
        for seq in range(4):
            for job in range(1, 7):
                await r.xadd(results_stream(JOB.format(job)), chunk(job, seq))
        for job in range(1, 7):
            await r.xadd(results_stream(JOB.format(job)), done(job))
        return await asyncio.gather(*relays, late)
    for job, frames in enumerate(with_reader(with_redis, scenario), start=1):
        assert {f["job_id"] for f in frames} == {JOB.format(job)}
        assert [f.get("seq") for f in frames] == [0, 1, 2, 3, None]


def test_a_second_relay_of_the_same_job_gets_the_whole_reply_too(with_redis):
    """The same message sent again: both relays see every entry once."""
    async def scenario(r, reader):
        key = results_stream(JOB.format(1))
        first = asyncio.create_task(collect(reader, 1))
        await r.xadd(key, chunk(1, 0))
        await r.xadd(key, chunk(1, 1))
        await until(lambda: reader._feeds[key].cursor.endswith("-1") or
                    len(reader._feeds[key].subscriptions[0]._entries) == 0 and
                    reader._feeds[key].subscriptions[0].last_id != "0", "the first relay read both")
        second = asyncio.create_task(collect(reader, 1))
        await until(lambda: len(reader._feeds[key].subscriptions) == 2, "the second relay subscribed")
        await r.xadd(key, done(1))
        return await asyncio.gather(first, second)
    first, second = with_reader(with_redis, scenario)
    assert [f.get("seq") for f in first] == [f.get("seq") for f in second] == [0, 1, None]


def test_a_relay_whose_client_went_stops_and_its_stream_is_no_longer_read(with_redis):
    """Cancelling a relay (its connection closed) ends its subscription."""
    async def scenario(r, reader):
        relay = asyncio.create_task(collect(reader, 1, within_s=30))
        await until(lambda: reader.streams == 1, "the relay subscribed")
        during = reader.streams
        relay.cancel()
        await asyncio.gather(relay, return_exceptions=True)
        return during, reader.streams
    assert with_reader(with_redis, scenario) == (1, 0)


@pytest.fixture
def restartable_redis(tmp_path):
    """A redis-server of this test's own, with its append-only file, that it may restart."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is not installed: run `make setup`", pytrace=False)
    port = _free_port()
    argv = [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(tmp_path),
            "--appendonly", "yes", "--save", ""]
    servers = []

    def start():
        servers.append(subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT))
        deadline = time.monotonic() + 10
        while not _answers_ping(port):
            assert time.monotonic() < deadline, "redis-server did not start within 10 s"
            time.sleep(0.05)  # polling interval of a bounded readiness wait

    def stop():
        servers[-1].terminate()
        servers[-1].wait(timeout=10)
    start()
    yield f"redis://127.0.0.1:{port}/0", start, stop
    stop()


def test_relays_go_on_after_a_redis_restart(restartable_redis):
    """A relay in flight while Redis restarts gets every entry, before and after, once."""
    url, start, stop = restartable_redis

    async def scenario():
        r = redis.Redis(connection_pool=make_pool(url, max_connections=10))
        reader = ResultReader(r)
        reader.start()
        try:
            key = results_stream(JOB.format(1))
            relay = asyncio.create_task(collect(reader, 1, within_s=30))
            await r.xadd(key, chunk(1, 0))
            await until(lambda: reader.streams == 1 and reader._feeds[key].cursor != "0",
                        "the first piece read before the restart")
            await asyncio.to_thread(stop)
            await until(lambda: reader.failed_rounds > 0, "the reader met the outage")
            await asyncio.to_thread(start)
            await r.xadd(key, chunk(1, 1))
            await r.xadd(key, done(1))
            return await relay
        finally:
            await reader.stop()
            await r.connection_pool.disconnect()
    frames = asyncio.run(scenario())
    assert [f.get("seq") for f in frames] == [0, 1, None]


def test_a_subscription_skips_entries_it_already_had():
    """Entries handed over twice (backlog and feed overlap) reach the relay once."""
    async def scenario():
        subscription = Subscription(reader=None, key="k")  # type: ignore[arg-type]
        subscription._put([("1-0", {"n": "a"}), ("2-0", {"n": "b"})])
        subscription._put([("2-0", {"n": "b"}), ("3-0", {"n": "c"})])
        return [(await subscription.next())["n"] for _ in range(3)]
    assert asyncio.run(scenario()) == ["a", "b", "c"]
