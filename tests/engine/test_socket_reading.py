"""The API keeps reading a connection while its messages wait: a real uvicorn, Redis and
PostgreSQL, and a conversation whose row another transaction holds locked, so every send
waits for as long as the test likes. Keepalive is short here (0.5 s ping, 0.5 s timeout):
a server that stopped reading would miss the pongs and close with 1011 within a second.
The last test reads a long request head that arrives in pieces, with the API's own server
options (app/api/__main__.py).
"""

from __future__ import annotations

import asyncio
import json
import socket
import uuid
from contextlib import asynccontextmanager

import asyncpg
import pytest
import uvicorn
import websockets

from app.api.__main__ import MAX_REQUEST_LINE_BYTES, SERVER_OPTIONS
from app.api.chat_socket import INBOX_FRAMES
from app.api.main import create_app
from app.core.config import load_settings
from support.people.tokens import claims_for, of_length, user_token

SECRET = "socket-reading-test-secret"
KEEPALIVE_S = 0.5
HELD_S = 3.0  # six keepalive rounds: far past ping interval plus ping timeout


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(autouse=True)
def request_lines_as_the_api_reads_them(monkeypatch):
    """`python -m app.api` sets WEBSOCKETS_MAX_LINE_LENGTH before websockets is first
    imported, which is when websockets reads it. In a pytest session another test module
    may import websockets first, and the API served here would then stall on a 100 KB
    request line: give websockets the limit the API process runs with."""
    import websockets.http11
    import websockets.legacy.http
    for module in (websockets.http11, websockets.legacy.http):
        monkeypatch.setattr(module, "MAX_LINE_LENGTH", MAX_REQUEST_LINE_BYTES)


@asynccontextmanager
async def api_server(redis_url: str, database_url: str):
    settings = load_settings({
        "SUPABASE_JWT_SECRET": SECRET, "REDIS_URL": redis_url, "DATABASE_URL": database_url,
        # The inbox is what is tested here, not the rate limit in front of it.
        "RATE_LIMIT_FRAMES": "1000",
    })
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port,
        **{**SERVER_OPTIONS, "ws_ping_interval": KEEPALIVE_S, "ws_ping_timeout": KEEPALIVE_S},
    ))
    serving = asyncio.create_task(server.serve())
    for _ in range(200):  # bounded: 10 s
        if server.started:
            break
        await asyncio.sleep(0.05)
    assert server.started, "uvicorn did not start within 10 s"
    try:
        yield f"ws://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(serving, 15)


@asynccontextmanager
async def conversation_held(database_url: str, conversation_id: uuid.UUID):
    """Lock the conversation's row in an open transaction: every send to it waits."""
    holder = await asyncpg.connect(database_url)
    try:
        transaction = holder.transaction()
        await transaction.start()
        await holder.execute(
            "select 1 from public.conversations where id = $1 for update", conversation_id)
        yield
        await transaction.rollback()
    finally:
        await holder.close()


def message(n: int) -> str:
    return json.dumps({"type": "message", "content": f"message {n}", "client_message_id": f"m{n}"})


async def frames_until(ws, count: int, within_s: float) -> list[dict]:
    frames = []
    async with asyncio.timeout(within_s):
        while len(frames) < count:
            frames.append(json.loads(await ws.recv()))
    return frames


def run_against_api(redis_url, database_url, scenario):
    async def main():
        async with api_server(redis_url, database_url) as url:
            user, conversation = uuid.uuid4(), uuid.uuid4()
            address = f"{url}/ws/chat/{conversation}?token={user_token(str(user), SECRET)}"
            # The client sends no pings of its own: only the server's keepalive is tested.
            async with websockets.connect(address, ping_interval=None) as ws:
                return await scenario(ws, conversation)
    return asyncio.run(main())


def test_a_client_whose_messages_wait_is_not_dropped_by_the_keepalive(redis_url, database_url):
    """Messages held for several keepalive rounds are acknowledged, on the same connection."""
    async def scenario(ws, conversation):
        await ws.send("hello")  # creates nothing yet: the conversation exists since connect
        await frames_until(ws, 1, 10)
        async with conversation_held(database_url, conversation):
            for n in range(5):
                await ws.send(message(n))
            await asyncio.sleep(HELD_S)  # the condition under test is time itself
        return await frames_until(ws, 5, 10)
    try:
        frames = run_against_api(redis_url, database_url, scenario)
    except websockets.ConnectionClosedError as closed:
        pytest.fail(f"the connection was closed while its messages waited: {closed}")
    assert [(f["type"], f["client_message_id"]) for f in frames] == [("ack", f"m{n}") for n in range(5)]


def test_a_client_far_ahead_is_told_to_slow_down_and_nothing_is_lost(redis_url, database_url):
    """Past the inbox, messages get rate_limited; every other one is acknowledged."""
    sent = INBOX_FRAMES + 20

    async def scenario(ws, conversation):
        await ws.send("hello")
        await frames_until(ws, 1, 10)
        async with conversation_held(database_url, conversation):
            for n in range(sent):
                await ws.send(message(n))
            # While every send waits, only refusals can come.
            first = await frames_until(ws, 1, 10)
        return first + await frames_until(ws, sent - 1, 20)
    frames = run_against_api(redis_url, database_url, scenario)
    outcome = {f["client_message_id"]: (f["type"], f.get("code")) for f in frames}
    refused = [cid for cid, kind in outcome.items() if kind == ("error", "rate_limited")]
    acked = [cid for cid, kind in outcome.items() if kind == ("ack", None)]
    assert len(outcome) == sent, f"{sent} sent, {len(outcome)} answered: {frames[:3]}"
    # At most INBOX_FRAMES wait, plus the one being stored once the handler has taken it.
    assert sent - INBOX_FRAMES - 1 <= len(refused) <= sent - INBOX_FRAMES, f"refused: {refused}"
    assert sorted(acked + refused) == sorted(f"m{n}" for n in range(sent))
    assert all(f.get("retry_after") for f in frames if f["type"] == "error")


def test_a_request_of_100_kb_is_upgraded_however_its_bytes_arrive(redis_url, database_url):
    """The contract answers a request of up to 100 KB with a close code, never HTTP 400:
    its head, sent in small pieces as a slow network delivers it, is still read whole."""
    token = of_length(claims_for(str(uuid.uuid4())), SECRET, 100_000)

    async def main():
        async with api_server(redis_url, database_url) as url:
            host, port = url.removeprefix("ws://").split(":")
            reader, writer = await asyncio.open_connection(host, int(port))
            head = (f"GET /ws/chat/{uuid.uuid4()}?token={token} HTTP/1.1\r\n"
                    f"Host: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                    "Sec-WebSocket-Version: 13\r\n\r\n").encode()
            try:
                for start in range(0, len(head), 4096):
                    writer.write(head[start:start + 4096])
                    await writer.drain()
                    await asyncio.sleep(0.001)  # let the server read each piece on its own
                return await asyncio.wait_for(reader.readline(), 10)
            except ConnectionError as error:
                return f"no status line: the server closed the connection ({error!r})".encode()
            finally:
                writer.close()

    status = asyncio.run(main())
    assert status.startswith(b"HTTP/1.1 101"), f"the server answered {status!r}"
