"""One person of a scenario: a user with a fresh identity, her connection to one
conversation, what she said and what came back.

    ada = cast.person("Ada")                  # made by her scenario's Cast
    ada.start_conversation()                  # a new conversation, and a connection to it
    ada.ask("Hello")                          # sent, and followed until done or error
    reply = ada.post("Hi")                    # sent now...
    ada.follow(reply)                         # ...followed later
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from support.chat.client import ChatConnection, ConnectionRefused
from support.chat.reply import Reply
from support.eventually import Deadline
from support.people.bad_frames import content_of
from support.people.tokens import user_token
from support.suite import Suite

if TYPE_CHECKING:
    from support.people.cast import Cast

REPLY_WITHIN_S = 30  # default bound for a whole reply
CONNECT_WITHIN_S = 10


@dataclass(eq=False)
class Person:
    """A user of the engine with a fresh identity, and her connection to one conversation."""
    name: str
    cast: "Cast"
    user_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    conversations: list[str] = field(default_factory=list)
    connection: ChatConnection | None = None
    replies: list[Reply] = field(default_factory=list)
    exchanges: dict[str, list[tuple[str, Reply]]] = field(default_factory=dict)
    connections_opened: int = 0
    knocked: ChatConnection | None = None  # her last connection the engine was to refuse
    own_token: str | None = None  # a token of her own making; None: a fresh one-hour token

    @property
    def suite(self) -> Suite:
        return self.cast.suite

    @property
    def conversation_id(self) -> str:
        assert self.conversations, f"{self.name} has not started a conversation"
        return self.conversations[-1]

    @property
    def last_reply(self) -> Reply:
        assert self.replies, f"{self.name} has not had a reply yet"
        return self.replies[-1]

    def token(self) -> str:
        return self.own_token or user_token(self.user_id, self.suite.endpoints.jwt_secret)

    def start_conversation(self):
        self.conversations.append(str(uuid.uuid4()))
        self.connect()

    def connect(self):
        """Open a new connection to the current conversation, closing any earlier one."""
        self.disconnect()
        self.cast.connect([self])

    def disconnect(self):
        if self.connection is not None:
            self.suite.run(self.connection.close(), CONNECT_WITHIN_S, f"{self.name} hanging up")
            self.connection = None

    def ask(self, text: str, within_s: float = REPLY_WITHIN_S) -> Reply:
        """Send a message and wait for the whole reply (or its error)."""
        assert self.connection is not None, f"{self.name} is not connected"
        return self._say(text, self.connection.ask, within_s, "asking")

    def send(self, text: str, within_s: float = CONNECT_WITHIN_S) -> Reply:
        """Send a message and wait only until the engine has taken or refused it."""
        assert self.connection is not None, f"{self.name} is not connected"
        return self._say(text, self.connection.send, within_s, "sending")

    def post(self, text: str) -> Reply:
        """Send a message and wait for nothing; follow() its reply later."""
        assert self.connection is not None, f"{self.name} is not connected"
        client_message_id = self.suite.run(self.connection.send_message(text), CONNECT_WITHIN_S,
                                           f"{self.name} sending {text!r}")
        reply = Reply(client_message_id)
        self.remember(text, reply)
        return reply

    def send_frame(self, frame: str | bytes, client_message_id: str | None,
                   within_s: float = CONNECT_WITHIN_S) -> Reply:
        """Send a raw frame (bytes: a binary frame) that carries this client_message_id, or
        none; wait until taken or refused."""
        assert self.connection is not None, f"{self.name} is not connected"

        async def send_and_follow():
            reply = Reply(client_message_id, frames_read=len(self.connection.frames))
            if isinstance(frame, bytes):
                await self.connection.send_bytes(frame)
            else:
                await self.connection.send_text(frame)
            return await self.connection.follow(reply, Deadline(within_s), "answered_or_refused")
        reply = self.suite.run(send_and_follow(), within_s + 5,
                               f"{self.name} sending {frame[:100]!r}")
        self.replies.append(reply)
        return reply

    def send_frames(self, frames: list[tuple[str | bytes, str | None]],
                    within_s: float = CONNECT_WITHIN_S) -> list[Reply]:
        """Send these frames back to back without waiting in between (each as send_frame
        takes it); wait until each is taken or refused. The ones taken are remembered with
        their content, as what she said."""
        assert self.connection is not None, f"{self.name} is not connected"
        replies = self.suite.run(self.connection.send_frames(frames, Deadline(within_s)),
                                 within_s + 5, f"{self.name} sending {len(frames)} frames")
        for (frame, _), reply in zip(frames, replies):
            if reply.ack is not None:
                self.remember(content_of(frame), reply)
            else:
                self.replies.append(reply)
        return replies

    def moment_sent(self, client_message_id: str) -> float:
        """The time.monotonic() moment she sent the frame carrying this id on her current
        connection, by the scenario's transcript (the first such frame)."""
        for frame in self.cast.transcript.frames:
            data = frame.data or {}
            if (frame.direction, frame.connection, data.get("client_message_id")) == (
                    "sent", self.connection.label, client_message_id):
                return self.connection.moment_of(frame)
        raise AssertionError(f"{self.name} never sent a frame with id {client_message_id} on "
                             f"{self.connection.label}")

    def send_until_closed(self, frame: str, within_s: float = CONNECT_WITHIN_S) -> int | None:
        """Send a frame the engine is expected to close the connection over; return the code."""
        assert self.connection is not None, f"{self.name} is not connected"

        async def send_and_wait():
            try:
                await self.connection.send_text(frame)
            except ConnectionRefused:  # closed while the frame was still going out
                pass
            return await self.connection.wait_closed(within_s)
        return self.suite.run(send_and_wait(), within_s + 5, f"{self.name} sending a large frame")

    def _say(self, text: str, how, within_s: float, doing: str) -> Reply:
        reply = self.suite.run(how(text, within_s), within_s + 5, f"{self.name} {doing} {text!r}")
        self.remember(text, reply)
        return reply

    def follow(self, reply: Reply, until: str = "finished", within_s: float = REPLY_WITHIN_S):
        """Wait on her connection until the reply is finished (or the named Reply state)."""
        self.suite.run(self.connection.follow(reply, Deadline(within_s), until),
                       within_s + 5, f"{self.name} waiting for a reply to be {until}")
        return reply

    def remember(self, text: str, reply: Reply):
        self.replies.append(reply)
        self.exchanges.setdefault(self.conversation_id, []).append((text, reply))
        if reply.job_id:
            self.cast.job_ids.add(reply.job_id)

    def exchanges_here(self) -> list[tuple[str, Reply]]:
        """What she said in the current conversation, with the reply to each."""
        return self.exchanges.get(self.conversation_id, [])

    def history(self) -> list[dict]:
        return self.suite.run(self.suite.db.messages(self.conversation_id), 10,
                              f"reading {self.name}'s history")
