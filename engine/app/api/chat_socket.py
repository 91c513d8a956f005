"""The chat WebSocket: one connection, one conversation (contract, sections 1 to 3)."""

from __future__ import annotations

import asyncio
import logging
import uuid

from fastapi import WebSocket
from starlette.websockets import WebSocketDisconnect, WebSocketDisconnected

from app.api.frames import (
    BadFrame,
    ChatMessage,
    ack_frame,
    busy_notice,
    client_message_id_of,
    error_frame,
    overloaded_frame,
    parse_client_frame,
    too_fast_frame,
    rate_limited_frame,
    token_expired_frame,
    unavailable_frame,
)
from app.api.rate_limit import RateLimiter
from app.api.relay import relay_results, relay_retry
from app.core.logs import Tally, log_failure
from app.core.outages import server_unreachable
from app.core.security import Identity, InvalidToken, verify_token
from app.services.conversation_service import claim_conversation

log = logging.getLogger("grizz.api")

CLOSE_BAD_CONVERSATION_ID = 4400
CLOSE_BAD_TOKEN = 4401
CLOSE_NOT_OWNER = 4403
CLOSE_TRY_AGAIN_LATER = 1013  # the database could not be reached (contract, section 1)
CLOSE_INTERNAL_ERROR = 1011  # any other failure to open the conversation

REFUSALS = Tally(log, logging.WARNING, "overloaded: refused {count} message(s) in {seconds:.0f}s; "
                 "depth {depth}, last conversation_id={conversation_id}")
TOO_FAST = Tally(log, logging.INFO, "too fast: refused {count} message(s) in {seconds:.0f}s from "
                 "connections with a full inbox; last conversation_id={conversation_id}")


async def chat_endpoint(websocket: WebSocket, conversation_id: str, token: str | None = None) -> None:
    # Accept first, then close: the client gets a WebSocket close code, not an HTTP 403.
    await websocket.accept()
    try:
        conversation = uuid.UUID(conversation_id)
    except ValueError:
        await websocket.close(CLOSE_BAD_CONVERSATION_ID)
        return
    state = websocket.app.state
    try:
        identity = verify_token(token, state.settings.supabase_jwt_secret)
    except InvalidToken as reason:
        log.info("refused conversation_id=%s: invalid token (%s)", conversation, reason)
        await websocket.close(CLOSE_BAD_TOKEN)
        return
    user_id = identity.user_id
    try:
        owner = await claim_conversation(state.db, conversation, user_id)
    except Exception as error:
        log_failure(log, "could not open conversation_id=%s", conversation)
        await websocket.close(CLOSE_TRY_AGAIN_LATER if server_unreachable(error)
                              else CLOSE_INTERNAL_ERROR)
        return
    if not owner:
        log.info("refused conversation_id=%s user_id=%s: not the owner", conversation, user_id)
        await websocket.close(CLOSE_NOT_OWNER)
        return
    await ChatSession(websocket, conversation, user_id, identity).run()


# Frames read but not yet handled, per connection. The socket is read all the time, so the
# client's pongs are never stuck behind its messages (engine/README.md, "Reading while
# busy"); a client that gets this far ahead is told to slow down and nothing is kept.
INBOX_FRAMES = 100


class ChatSession:
    def __init__(self, websocket: WebSocket, conversation_id: uuid.UUID, user_id: uuid.UUID,
                 identity: Identity | None = None) -> None:
        self.websocket = websocket
        self.conversation_id = conversation_id
        self.user_id = user_id
        self.state = websocket.app.state
        self.identity = identity
        settings = self.state.settings
        self.limiter = RateLimiter(settings.rate_limit_frames, settings.rate_limit_window_s)
        self.relays: set[asyncio.Task] = set()
        self.inbox: asyncio.Queue[ChatMessage | None] = asyncio.Queue(INBOX_FRAMES)
        # Relay tasks, the handler and the reader all write to one socket; frames must not
        # interleave.
        self.send_lock = asyncio.Lock()

    async def send(self, frame: dict) -> None:
        async with self.send_lock:
            try:
                await self.websocket.send_json(frame)
            except WebSocketDisconnected:
                raise WebSocketDisconnect(1006) from None

    async def run(self) -> None:
        handler = asyncio.create_task(self.handle_messages())
        try:
            while True:
                event = await self.websocket.receive()
                if event["type"] == "websocket.disconnect":
                    break
                await self.on_frame(event.get("text"))
        except WebSocketDisconnect:
            pass
        finally:
            # The message being stored is finished (its row and job stay together); the ones
            # still waiting were never acknowledged and are dropped with the connection.
            while not self.inbox.empty():
                self.inbox.get_nowait()
            self.inbox.put_nowait(None)
            await asyncio.gather(handler, return_exceptions=True)
            # The jobs go on and their replies are stored; only the forwarding stops.
            for task in self.relays:
                task.cancel()
            if self.relays:
                await asyncio.gather(*self.relays, return_exceptions=True)

    async def on_frame(self, text: str | None) -> None:
        """Check a frame as it arrives; a valid message waits in the inbox for its turn."""
        await self.refuse_expired_token(text)
        if await self.refused_as_too_fast(text):
            return
        try:
            message = parse_client_frame(text)
        except BadFrame as bad:
            log.info("refused frame conversation_id=%s: %s", self.conversation_id, bad.reason)
            await self.send(
                error_frame("bad_request", bad.reason, client_message_id=bad.client_message_id)
            )
            return
        try:
            self.inbox.put_nowait(message)
        except asyncio.QueueFull:
            TOO_FAST.add(conversation_id=self.conversation_id)
            await self.send(too_fast_frame(message.client_message_id, INBOX_FRAMES))

    async def handle_messages(self) -> None:
        """Store and queue the messages one at a time, in the order they came."""
        while (message := await self.inbox.get()) is not None:
            try:
                await self.on_message(message)
            except WebSocketDisconnect:
                return
            except Exception as error:
                log_failure(
                    log, "message failed conversation_id=%s client_message_id=%s",
                    self.conversation_id, message.client_message_id,
                )
                if server_unreachable(error):
                    refusal = unavailable_frame(message.client_message_id)
                else:
                    refusal = error_frame("internal", "Something went wrong; send the message again.",
                                          client_message_id=message.client_message_id)
                try:
                    await self.send(refusal)
                except WebSocketDisconnect:
                    return

    async def refuse_expired_token(self, text: str | None) -> None:
        """A token that ran out during the connection: say so, then close as not signed in."""
        if self.identity is None or not self.identity.expired():
            return
        log.info("refused frame conversation_id=%s user_id=%s: token expired during the "
                 "connection; closing", self.conversation_id, self.user_id)
        await self.send(token_expired_frame(client_message_id_of(text)))
        await self.websocket.close(CLOSE_BAD_TOKEN)
        raise WebSocketDisconnect(CLOSE_BAD_TOKEN)

    async def refused_as_too_fast(self, text: str | None) -> bool:
        """Every frame counts against the connection's rate limit; one over it is refused."""
        retry_after = self.limiter.retry_after()
        if not retry_after:
            return False
        log.info("refused frame conversation_id=%s: rate limited, retry_after=%s",
                 self.conversation_id, retry_after)
        await self.send(rate_limited_frame(retry_after, client_message_id_of(text)))
        return True

    async def on_message(self, message: ChatMessage) -> None:
        queued = await self.state.admissions.queue(
            conversation_id=self.conversation_id,
            user_id=self.user_id,
            content=message.content,
            client_message_id=message.client_message_id,
        )
        if queued.overloaded:
            REFUSALS.add(depth=queued.depth_before, conversation_id=self.conversation_id)
            await self.send(overloaded_frame(message.client_message_id))
            return
        await self.send(ack_frame(queued.message_id, queued.job_id, message.client_message_id))
        if not queued.duplicate:
            log.debug(
                "queued job_id=%s conversation_id=%s depth_before=%s",
                queued.job_id, self.conversation_id, queued.depth_before,
            )
            if queued.depth_before >= self.state.settings.queue_soft_limit:
                await self.send(busy_notice(queued.job_id, message.client_message_id))
        task = asyncio.create_task(
            self.relay(queued.job_id, message.client_message_id, retry=queued.duplicate)
        )
        self.relays.add(task)
        task.add_done_callback(self.relays.discard)

    async def relay(self, job_id: uuid.UUID, client_message_id: str, retry: bool) -> None:
        """Forward one job's reply; a failure is reported for that message, never silently:
        `unavailable` when Redis or PostgreSQL cannot be reached, else `internal`."""
        try:
            if retry:
                await relay_retry(self.state.redis, self.state.results, self.state.db, job_id,
                                  client_message_id, self.send)
            else:
                await relay_results(self.state.results, job_id, client_message_id, self.send)
        except WebSocketDisconnect:
            return
        except Exception as error:
            log_failure(log, "relay failed job_id=%s conversation_id=%s", job_id, self.conversation_id)
            if server_unreachable(error):
                failure = unavailable_frame(client_message_id, job_id)
            else:
                failure = error_frame(
                    "internal", "The reply could not be delivered; send the message again.",
                    job_id=str(job_id), client_message_id=client_message_id)
            try:
                await self.send(failure)
            except WebSocketDisconnect:
                pass
