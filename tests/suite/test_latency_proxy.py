"""The latency proxy delays each direction by its delay, keeps order, and closes cleanly."""

from __future__ import annotations

import asyncio
import contextlib
import time

from support.stack.latency_proxy import LatencyProxy


async def _echo(reader, writer):
    while data := await reader.read(100):
        writer.write(data)
        await writer.drain()
    writer.close()


@contextlib.asynccontextmanager
async def echo_behind_proxy(delay_ms: int):
    """An echo server behind a proxy of that delay; yields the proxy and a client's streams."""
    server = await asyncio.start_server(_echo, "127.0.0.1", 0)
    proxy = await LatencyProxy("127.0.0.1", server.sockets[0].getsockname()[1], delay_ms).start()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
        yield proxy, reader, writer
        writer.close()
    finally:
        await proxy.stop()
        server.close()


async def read_back(reader, expected: bytes) -> bytes:
    received = b""
    while len(received) < len(expected):
        received += await asyncio.wait_for(reader.read(100), 5)
    return received


def test_round_trip_costs_twice_the_delay_and_keeps_order():
    """A round trip through a 50 ms proxy takes at least 100 ms and returns the bytes in order."""
    async def scenario():
        async with echo_behind_proxy(50) as (proxy, reader, writer):
            started = time.monotonic()
            for piece in (b"one ", b"two ", b"three"):
                writer.write(piece)
            await writer.drain()
            received = await read_back(reader, b"one two three")
            return received, time.monotonic() - started, proxy.connections
    received, elapsed, connections = asyncio.run(scenario())
    assert received == b"one two three"
    assert elapsed >= 0.1
    assert connections == 1


def test_first_sent_tells_when_bytes_went_towards_the_server():
    """The proxy notes when a value first went towards the server, even split across two
    writes; the answer about it comes back no sooner than two delays later."""
    async def scenario():
        async with echo_behind_proxy(50) as (proxy, reader, writer):
            before = time.monotonic()
            writer.write(b"id-12")
            await writer.drain()
            await asyncio.sleep(0.02)  # so the value arrives in two pieces
            writer.write(b"345 rest")
            await writer.drain()
            await read_back(reader, b"id-12345 rest")
            answered = time.monotonic()
            return before, answered, proxy.first_sent(b"id-12345"), proxy.first_sent(b"never")
    before, answered, went, never = asyncio.run(scenario())
    assert never is None
    assert before + 0.02 <= went  # the piece holding the value's last byte
    assert answered >= went + 0.1
