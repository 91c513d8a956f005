"""A small TCP proxy on loopback that delays every byte by a fixed time each way: a slow
network between the engine and Redis or PostgreSQL, without touching either.

    proxy = LatencyProxy("127.0.0.1", 6379, delay_ms=50)
    await proxy.start()          # listens on 127.0.0.1:proxy.port
    ...
    proxy.first_sent(b"abc")     # when those bytes first went towards the server, or None
    await proxy.stop()           # closes the listener and every connection through it

Order is kept: bytes leave in the order they came, each `delay_ms` after it arrived.

The proxy also keeps what each connection sent towards the server (the first RECORD_LIMIT
bytes in all) and when each piece of it arrived, so a test can tell when a given value, a
message's id say, first went out to the server: the server cannot have answered about it
sooner than two delays later.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib

READ_SIZE = 65536
RECORD_LIMIT = 16 * 2**20  # bytes towards the server kept per proxy, for first_sent()


class _Sent:
    """What one connection sent towards the server, and when each piece of it arrived."""

    def __init__(self):
        self.data = bytearray()
        self.ends: list[int] = []  # the offset just past each piece
        self.times: list[float] = []  # the event loop's clock when that piece was read

    def add(self, data: bytes, at: float):
        self.data += data
        self.ends.append(len(self.data))
        self.times.append(at)

    def first(self, needle: bytes) -> float | None:
        """When the piece holding the needle's last byte arrived (the server cannot act on
        the needle before that byte reaches it); None if the needle never went."""
        start = self.data.find(needle)
        if start < 0:
            return None
        return self.times[bisect.bisect_left(self.ends, start + len(needle))]


class LatencyProxy:
    def __init__(self, target_host: str, target_port: int, delay_ms: int):
        if delay_ms < 0:
            raise ValueError(f"delay_ms must be >= 0, got {delay_ms}")
        self.target = (target_host, target_port)
        self.delay_s = delay_ms / 1000
        self.port: int | None = None
        self.connections = 0  # accepted so far, to show the proxy was used
        self.recorded = 0  # bytes kept towards the server; recording stops at RECORD_LIMIT
        self._sent: list[_Sent] = []
        self._server: asyncio.Server | None = None
        self._pipes: set[asyncio.Task] = set()

    async def start(self) -> "LatencyProxy":
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def first_sent(self, needle: bytes) -> float | None:
        """The event loop's clock (time.monotonic()) when these bytes first went through the
        proxy towards the server, or None. Raises if the recording filled up before it could
        tell."""
        times = [at for at in (sent.first(needle) for sent in self._sent) if at is not None]
        if times:
            return min(times)
        if self.recorded >= RECORD_LIMIT:
            raise AssertionError(f"the proxy to {self.target} kept only the first "
                                 f"{RECORD_LIMIT} bytes sent through it; {needle!r} is not "
                                 "among them")
        return None

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
        sent = _Sent()
        self._sent.append(sent)
        for reader, writer, record in ((client_reader, server_writer, sent),
                                       (server_reader, client_writer, None)):
            task = asyncio.ensure_future(self._pipe(reader, writer, record))
            self._pipes.add(task)
            task.add_done_callback(self._pipes.discard)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                    record: _Sent | None):
        """Copy one direction, each piece `delay_s` after it was read, until either side ends;
        keep what goes towards the server in `record`."""
        loop = asyncio.get_running_loop()
        due: asyncio.Queue = asyncio.Queue()

        async def read():
            try:
                while data := await reader.read(READ_SIZE):
                    now = loop.time()
                    if record is not None and self.recorded < RECORD_LIMIT:
                        record.add(data, now)
                        self.recorded += len(data)
                    due.put_nowait((now + self.delay_s, data))
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
