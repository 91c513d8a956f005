"""Shared fixtures for the engine's unit tests: the engine on sys.path and a real redis-server."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ENGINE_DIR = Path(__file__).resolve().parents[2] / "engine"
if str(ENGINE_DIR) not in sys.path:
    sys.path.insert(0, str(ENGINE_DIR))

REDIS_READY_TIMEOUT_S = 10


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _answers_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory) -> str:
    """A throwaway redis-server on a free loopback port, stopped after the session."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is not installed: run `make setup`", pytrace=False)
    workdir = tmp_path_factory.mktemp("redis")
    port = _free_port()
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(workdir),
         "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + REDIS_READY_TIMEOUT_S
    while not _answers_ping(port):
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            pytest.fail(f"redis-server did not become ready on port {port}")
        time.sleep(0.05)  # polling interval of a bounded readiness wait
    yield f"redis://127.0.0.1:{port}/0"
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture
def with_redis(redis_url):
    """Run an async scenario(client) on a freshly flushed Redis; returns what it returns."""
    import asyncio

    import redis.asyncio as redis

    from app.core.redis_client import make_pool

    def run(scenario):
        async def main():
            client = redis.Redis(connection_pool=make_pool(redis_url, max_connections=20))
            try:
                await client.flushall()
                return await scenario(client)
            finally:
                await client.connection_pool.disconnect()
        return asyncio.run(main())
    return run


@pytest.fixture(scope="session")
def database_url():
    """A throwaway PostgreSQL with the Supabase schema, stopped after the session."""
    import tempfile

    from support.eventually import eventually, truthy
    from support.stack.postgres import PostgresServer
    from support.stack.processes import StackError, free_port

    # Not pytest's tmp_path: its parents are private to root, and the server runs as postgres.
    scratch = Path(tempfile.mkdtemp(prefix="grizz-engine-pg-"))
    try:
        server = PostgresServer(scratch, free_port(), scratch)
        server.start()
    except StackError as error:
        shutil.rmtree(scratch, ignore_errors=True)
        pytest.fail(str(error), pytrace=False)
    try:
        eventually(server.ready, truthy("accepting connections"), within_s=30, what="PostgreSQL")
        server.apply_schema()
        yield server.url
    finally:
        server.service.stop()
        shutil.rmtree(scratch, ignore_errors=True)
