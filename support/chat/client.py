"""A chat connection to the engine's WebSocket, as the contract (docs/contract.md) defines it.

Every frame is kept in the scenario's transcript; what the engine says about each message is
gathered in its Reply (support/chat/reply.py). Waits are bounded and their failures say
which frames arrived.
"""

from __future__ import annotations

import asyncio
import json
import uuid

import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatus

from support.eventually import Deadline, WaitTimeout
from support.chat.reply import Reply
from support.chat.transcript import Frame, Transcript


class ConnectionRefused(AssertionError):
    """The engine refused or closed the connection; the message says how."""


class ChatConnection:
    """One open WebSocket to one conversation."""

    def __init__(self, label: str, transcript: Transcript, on_frame=None):
        self.label = label
        self.transcript = transcript
        # Called with each received frame as it arrives, so the load driver times it there.
        self.on_frame = on_frame
        self.frames: list[Frame] = []
        self.close_code: int | None = None
        self.close_reason: str | None = None
        self._socket = None
        self._reader: asyncio.Task | None = None
        self._arrived = asyncio.Condition()

    async def open(self, url: str, within_s: float = 10, headers: dict | None = None):
        try:
            self._socket = await asyncio.wait_for(
                websockets.connect(url, max_size=2**22, open_timeout=within_s,
                                   additional_headers=headers), within_s)
        except InvalidStatus as refused:
            raise ConnectionRefused(f"{self.label}: the engine refused the WebSocket with HTTP "
                                    f"{refused.response.status_code}") from None
        except (OSError, asyncio.TimeoutError) as error:
            raise ConnectionRefused(f"{self.label}: cannot reach the engine at "
                                    f"{url.split('?')[0]} ({error!r})") from None
        self.transcript.record(self.label, "opened", url.split("?")[0])
        self._reader = asyncio.get_running_loop().create_task(self._read())
        return self

    async def _read(self):
        try:
            async for text in self._socket:
                frame = self.transcript.record(self.label, "received", text)
                if self.on_frame is not None:
                    self.on_frame(frame)
                async with self._arrived:
                    self.frames.append(frame)
                    self._arrived.notify_all()
        except ConnectionClosed:
            pass
        finally:
            self.close_code = self._socket.close_code
            self.close_reason = self._socket.close_reason
            self.transcript.record(self.label, "closed", f"code {self.close_code}")
            async with self._arrived:
                self._arrived.notify_all()

    def arrival_of(self, reply: Reply, *kinds: str) -> Frame | None:
        """The first frame of these kinds for this reply that has arrived so far, if any."""
        for frame in list(self.frames):
            data = frame.data or {}
            if data.get("type") in kinds and reply.belongs_here(data):
                return frame
        return None

    async def send_text(self, text: str):
        shown = text if len(text) <= 2000 else f"{text[:200]}... ({len(text)} characters)"
        self.transcript.record(self.label, "sent", shown)
        await self._send(text)

    async def _send(self, frame: str | bytes):
        try:
            await self._socket.send(frame)
        except ConnectionClosed:
            raise ConnectionRefused(f"{self.label}: the engine had closed the connection "
                                    f"(code {self._socket.close_code}) before this frame "
                                    "was sent") from None

    async def send_bytes(self, data: bytes):
        self.transcript.record(self.label, "sent", f"(binary frame of {len(data)} bytes)")
        await self._send(data)

    async def send_message(self, content: str, client_message_id: str | None = None) -> str:
        client_message_id = client_message_id or str(uuid.uuid4())
        await self.send_text(json.dumps({"type": "message", "content": content,
                                         "client_message_id": client_message_id}))
        return client_message_id

    async def follow(self, reply: Reply, deadline: Deadline, until: str = "finished") -> Reply:
        """Read this connection's frames into the reply until the named Reply property holds
        (by default: done or failed). Following again goes on where it stopped."""
        def finished_or_closed() -> bool:
            return getattr(reply, until) or self.close_code is not None

        async def catch_up():
            async with self._arrived:
                while True:
                    for frame in self.frames[reply.frames_read:]:
                        data = frame.data or {}
                        if reply.belongs_here(data):
                            reply.take(data)
                    reply.frames_read = len(self.frames)
                    if finished_or_closed():
                        return
                    await self._arrived.wait()
        try:
            await deadline.wait_for(catch_up(), f"{self.label}: the reply")
        except WaitTimeout:
            raise WaitTimeout(f"{self.label}: reply to {reply.client_message_id} not "
                              f"{until.replace('_', ' ')} after {deadline.within_s} s; "
                              f"so far {reply.describe()}") from None
        if not getattr(reply, until):
            raise AssertionError(f"{self.label}: the connection closed with code "
                                 f"{self.close_code} before the reply was {until}; "
                                 f"so far {reply.describe()}")
        return reply

    async def ask(self, content: str, within_s: float = 30) -> Reply:
        """Send a message and wait for the whole reply (or its error)."""
        reply = Reply(await self.send_message(content))
        return await self.follow(reply, Deadline(within_s))

    async def send(self, content: str, within_s: float = 10) -> Reply:
        """Send a message and wait only until the engine has taken or refused it."""
        reply = Reply(await self.send_message(content))
        return await self.follow(reply, Deadline(within_s), until="answered_or_refused")

    async def send_frames(self, frames: list[tuple[str | bytes, str | None]],
                          deadline: Deadline) -> list[Reply]:
        """Send these frames back to back, without waiting for anything in between, then
        wait until each is taken or refused. Each frame is (text, or bytes for a binary
        frame; the client_message_id it carries, or None: a frame without an id is matched
        to the first ack or error after it, so send those one at a time). Returns the
        replies in send order."""
        replies = []
        for frame, client_message_id in frames:
            replies.append(Reply(client_message_id, frames_read=len(self.frames)))
            if isinstance(frame, bytes):
                await self.send_bytes(frame)
            else:
                await self.send_text(frame)
        for reply in replies:
            await self.follow(reply, deadline, "answered_or_refused")
        return replies

    def moment_of(self, frame: Frame) -> float:
        """The time.monotonic() moment of a transcript frame, rounded up to the millisecond:
        never earlier than the moment it was recorded."""
        return self.transcript.started + (frame.at_ms + 1) / 1000

    async def wait_closed(self, within_s: float = 10) -> int | None:
        try:
            await asyncio.wait_for(asyncio.shield(self._reader), within_s)
        except asyncio.TimeoutError:
            raise WaitTimeout(f"{self.label}: still open after {within_s} s") from None
        return self.close_code

    async def answers_ping(self, within_s: float = 5) -> str | None:
        """None when the engine answers a WebSocket ping within the time, so the connection
        is open and read; else what happened instead."""
        if self.close_code is not None or self._socket is None:
            return f"closed with {self.close_code}"
        try:
            pong = await self._socket.ping()
            await asyncio.wait_for(pong, within_s)
        except asyncio.TimeoutError:
            return f"no answer to a ping within {within_s} s"
        except ConnectionClosed as closed:
            return f"closed with {closed.rcvd.code if closed.rcvd else None} during a ping"
        return None

    async def close(self, within_s: float = 10):
        if self._socket is not None:
            try:
                await asyncio.wait_for(self._socket.close(), within_s)
            except asyncio.TimeoutError:  # the engine never finished the closing handshake
                self._socket.transport.abort()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)
