"""What the engine's parts can do alone on this machine, measured in the same run as the
engine, so the bench can say how much of it the engine gets.

    xadds_per_s(redis_url)              one redis-py client, one XADD after another
    inserts_per_s(database_url)         asyncpg single-row INSERTs through a pool of 8
    echo_frames_per_s()                 a websockets echo server on loopback, one client

Each runs for MEASURE_S and is bounded in count too; each cleans up what it made.
"""

from __future__ import annotations

import asyncio
import time
import uuid

import asyncpg
import redis
from websockets.asyncio.client import connect
from websockets.asyncio.server import serve

MEASURE_S = 2.0
MOST = 1_000_000  # no primitive gets near this in MEASURE_S on one machine
SCRATCH_STREAM = "bench:primitives"
JOB = {"job_id": str(uuid.uuid4()), "conversation_id": str(uuid.uuid4()),
       "user_id": str(uuid.uuid4()), "message_id": str(uuid.uuid4()),
       "client_message_id": str(uuid.uuid4()), "enqueued_at": "0"}  # a job's size and shape


def xadds_per_s(redis_url: str) -> float:
    client = redis.Redis.from_url(redis_url)
    try:
        count, started = 0, time.perf_counter()
        while count < MOST and time.perf_counter() - started < MEASURE_S:
            client.xadd(SCRATCH_STREAM, JOB)
            count += 1
        return count / (time.perf_counter() - started)
    finally:
        client.delete(SCRATCH_STREAM)
        client.close()


async def inserts_per_s(database_url: str, pool_size: int = 8) -> float:
    table = f"bench_inserts_{uuid.uuid4().hex[:8]}"
    async with asyncpg.create_pool(database_url, min_size=pool_size,
                                   max_size=pool_size) as pool:
        await pool.execute(f"create table public.{table} (id uuid primary key, "
                           "conversation_id uuid, content text, created_at timestamptz "
                           "default now())")
        try:
            counts = [0] * pool_size
            started = time.perf_counter()

            async def inserter(index: int):
                while counts[index] < MOST and time.perf_counter() - started < MEASURE_S:
                    await pool.execute(f"insert into public.{table} (id, conversation_id, "
                                       "content) values ($1, $2, $3)",
                                       uuid.uuid4(), uuid.uuid4(), "Hello there")
                    counts[index] += 1
            await asyncio.gather(*(inserter(index) for index in range(pool_size)))
            return sum(counts) / (time.perf_counter() - started)
        finally:
            await pool.execute(f"drop table public.{table}")


async def echo_frames_per_s(window: int = 100) -> float:
    """Frames echoed per second over one loopback connection, `window` of them in flight."""
    async def echo(socket):
        async for frame in socket:
            await socket.send(frame)

    frame = '{"type": "chunk", "seq": 0, "content": "a piece of a reply"}'
    async with serve(echo, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        async with connect(f"ws://127.0.0.1:{port}") as client:
            sent = received = 0
            started = time.perf_counter()
            while received < MOST and time.perf_counter() - started < MEASURE_S:
                while sent - received < window:
                    await client.send(frame)
                    sent += 1
                await client.recv()
                received += 1
            elapsed = time.perf_counter() - started
            for _ in range(sent - received):  # drain before closing
                await client.recv()
            return received / elapsed
