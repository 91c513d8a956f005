"""One person of a load run: a new user with a new conversation, on the suite's chat client.

Frames are timed as they arrive (ChatConnection's on_frame) and fed to the run's statistics,
so no wait for a reply stands between a frame and its time.
"""

from __future__ import annotations

import json
import time
import uuid

from support.chat.client import ChatConnection
from support.load.stats import LoadStats, Message
from support.people.tokens import user_token
from support.chat.transcript import Frame, Transcript


class Caller:
    def __init__(self, name: str, engine_url: str, jwt_secret: str, transcript: Transcript,
                 stats: LoadStats):
        self.name = name
        self.user_id = str(uuid.uuid4())
        self.conversation_id = str(uuid.uuid4())
        self.url = (f"{engine_url}/ws/chat/{self.conversation_id}"
                    f"?token={user_token(self.user_id, jwt_secret)}")
        self.stats = stats
        self.connection = ChatConnection(name, transcript, on_frame=self._arrived)
        self.messages: list[Message] = []
        self._by_client_id: dict[str, Message] = {}
        self._by_job: dict[str, Message] = {}
        self.connected = False
        self.hung_up = False  # closed by the run itself, at its end
        self.refused: str | None = None  # why the connection could not open

    @property
    def dropped(self) -> bool:
        """The connection closed while the run still wanted it."""
        return self.connected and not self.hung_up and self.connection.close_code is not None

    async def connect(self, within_s: float):
        try:
            await self.connection.open(self.url, within_s)
            self.connected = True
        except AssertionError as refused:
            self.refused = str(refused)

    async def send(self, text: str, due_at: float) -> Message:
        message = self.track(Message(self.name, str(uuid.uuid4()), due_at))
        frame = json.dumps({"type": "message", "content": text,
                            "client_message_id": message.client_message_id})
        message.sent_at = time.perf_counter()
        try:
            await self.connection.send_text(frame)
        except Exception:  # noqa: BLE001 - a closed socket leaves it not taken, not a crash
            message.taken.set()
            message.gone.set()
        return message

    def track(self, message: Message) -> Message:
        """From now on, frames about this message are timed into it."""
        self.messages.append(message)
        self._by_client_id[message.client_message_id] = message
        return message

    def give_up_waiting(self):
        """Stop waiting for what has not come (the connection closed, or time is up): each
        such message keeps what its socket showed: an ack only, or nothing."""
        for message in self.messages:
            message.taken.set()
            message.gone.set()

    def _arrived(self, frame: Frame):
        now = time.perf_counter()
        data = frame.data or {}
        message = self._by_client_id.get(data.get("client_message_id")) \
            or self._by_job.get(data.get("job_id"))
        if message is None:
            return
        kind = data.get("type")
        if kind == "ack":
            if message.ack_at is None:
                message.ack_at, message.job_id = now, data.get("job_id")
                self._by_job[message.job_id] = message
                self.stats.record("ack", now - message.due_at)
            message.taken.set()
        elif kind == "chunk":
            self._piece(message, data.get("attempt", 1), now)
        elif kind == "done":
            message.dones += 1
            if message.done_at is None:
                message.done_at = now
                self.stats.record("reply", now - message.due_at)
            message.gone.set()
        elif kind == "error":
            if message.error_code is None and message.done_at is None:
                message.error_code, message.error_at = data.get("code", "unknown"), now
            message.taken.set()
            message.gone.set()

    def _piece(self, message: Message, attempt: int, now: float):
        if attempt < message.attempt:
            return  # a late piece of an attempt already superseded
        if attempt > message.attempt:  # a restarted reply: gaps start again
            message.attempt, message.last_piece_at = attempt, None
        if message.first_piece_at is None:
            message.first_piece_at = now
            self.stats.record("first_piece", now - message.due_at)
        if message.last_piece_at is not None:
            self.stats.record("gap", now - message.last_piece_at)
        message.last_piece_at = now
        message.pieces += 1

    async def close(self, within_s: float):
        self.hung_up = self.hung_up or self.connection.close_code is None
        await self.connection.close(within_s)
