"""A small TCP proxy on loopback that delays every byte by a fixed time each way: a slow
network between the engine and Redis or PostgreSQL, without touching either.

    proxy = LatencyProxy("127.0.0.1", 6379, delay_ms=50)
    await proxy.start()          # listens on 127.0.0.1:proxy.port
    ...
    await proxy.stop()           # closes the listener and every connection through it

Order is kept: bytes leave in the order they came, each `delay_ms` after it arrived.
"""

from __future__ import annotations

import asyncio
import contextlib

READ_SIZE = 65536


class LatencyProxy:
    def __init__(self, target_host: str, target_port: int, delay_ms: int):
        if delay_ms < 0:
            raise ValueError(f"delay_ms must be >= 0, got {delay_ms}")
        self.target = (target_host, target_port)
        self.delay_s = delay_ms / 1000
        self.port: int | None = None
        self.connections = 0  # accepted so far, to show the proxy was used
        self._server: asyncio.Server | None = None
        self._pipes: set[asyncio.Task] = set()

    async def start(self) -> "LatencyProxy":
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self):
        if self._server is not None:
            self._server.close()
        for task in list(self._pipes):
            task.cancel()
        await asyncio.gather(*self._pipes, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    async def _accept(self, client_reader, client_writer):
        self.connections += 1
        try:
            server_reader, server_writer = await asyncio.open_connection(*self.target)
        except OSError:
            client_writer.close()
            return
        for reader, writer in ((client_reader, server_writer), (server_reader, client_writer)):
            task = asyncio.ensure_future(self._pipe(reader, writer))
            self._pipes.add(task)
            task.add_done_callback(self._pipes.discard)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        """Copy one direction, each piece `delay_s` after it was read, until either side ends."""
        loop = asyncio.get_running_loop()
        due: asyncio.Queue = asyncio.Queue()

        async def read():
            try:
                while data := await reader.read(READ_SIZE):
                    due.put_nowait((loop.time() + self.delay_s, data))
            except OSError:
                pass
            due.put_nowait((loop.time() + self.delay_s, b""))
        reading = asyncio.ensure_future(read())
        try:
            while True:
                at, data = await due.get()
                await asyncio.sleep(max(0.0, at - loop.time()))
                if not data:
                    break
                writer.write(data)
                await writer.drain()
        except OSError:
            pass
        finally:
            reading.cancel()
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
