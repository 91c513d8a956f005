"""The latency proxy delays each direction by its delay, keeps order, and closes cleanly."""

from __future__ import annotations

import asyncio
import time

from support.faults.proxy import LatencyProxy


async def _echo(reader, writer):
    while data := await reader.read(100):
        writer.write(data)
        await writer.drain()
    writer.close()


def test_round_trip_costs_twice_the_delay_and_keeps_order():
    """A round trip through a 50 ms proxy takes at least 100 ms and returns the bytes in order."""
    async def scenario():
        server = await asyncio.start_server(_echo, "127.0.0.1", 0)
        proxy = await LatencyProxy("127.0.0.1", server.sockets[0].getsockname()[1], 50).start()
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
            started = time.monotonic()
            for piece in (b"one ", b"two ", b"three"):
                writer.write(piece)
            await writer.drain()
            received = b""
            while len(received) < len(b"one two three"):
                received += await asyncio.wait_for(reader.read(100), 5)
            elapsed = time.monotonic() - started
            writer.close()
            return received, elapsed, proxy.connections
        finally:
            await proxy.stop()
            server.close()
    received, elapsed, connections = asyncio.run(scenario())
    assert received == b"one two three"
    assert elapsed >= 0.1
    assert connections == 1
