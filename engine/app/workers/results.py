"""Writing one job's reply to its result stream, llm_results:{job_id}.

Pieces are written as they come, but never one round trip each: while one write is in
flight, the pieces that arrive meanwhile wait and go together in the next pipeline. The
final entry goes in one MULTI with whatever the caller adds (the job's acknowledgement), so
`done` is visible exactly when the job is acknowledged.
"""

from __future__ import annotations

import asyncio
import time
from typing import Callable

import redis.asyncio as redis
from redis.asyncio.client import Pipeline

from app.core.queue import results_stream


class ResultPublisher:
    def __init__(self, r: redis.Redis, job_id: str, attempt: int, ttl_s: int) -> None:
        self._r = r
        self._key = results_stream(job_id)
        self._job_id = job_id
        self._attempt = str(attempt)
        self._ttl_s = ttl_s
        self._seq = 0
        self._waiting: list[dict[str, str]] = []
        self._writer: asyncio.Task | None = None
        self._error: BaseException | None = None
        self._renewed_at = float("-inf")

    def chunk(self, content: str) -> None:
        """Queue a piece; it is written at once, or with the next write if one is in flight."""
        self._waiting.append({
            "type": "chunk", "job_id": self._job_id, "attempt": self._attempt,
            "seq": str(self._seq), "content": content,
        })
        self._seq += 1
        if self._writer is None and self._error is None:
            self._writer = asyncio.create_task(self._write_waiting())

    async def _write_waiting(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                async with self._r.pipeline(transaction=False) as pipe:
                    self._add(pipe, batch)
                    await pipe.execute()
        except Exception as error:  # reported by finish(), which every job reaches or abandons
            self._error = error
        finally:
            self._writer = None

    def _add(self, pipe: Pipeline, entries: list[dict[str, str]], final: bool = False) -> None:
        for fields in entries:
            pipe.xadd(self._key, fields)
        # The lifetime is renewed on the first write, then every tenth of it, and with the
        # final entry: the stream outlives the reply by RESULT_TTL_S, without an EXPIRE per
        # piece.
        now = time.monotonic()
        if final or now - self._renewed_at >= self._ttl_s / 10:
            pipe.expire(self._key, self._ttl_s)
            self._renewed_at = now

    async def written(self) -> None:
        """Wait for the pieces being written; raise what writing them raised."""
        if self._writer is not None:
            await asyncio.shield(self._writer)
        if self._error is not None:
            raise self._error

    async def finish(self, fields: dict[str, str], also: Callable[[Pipeline], None] | None = None) -> None:
        """Write the pieces still waiting and the final entry, with `also`, in one MULTI."""
        await self.written()
        batch, self._waiting = self._waiting, []
        async with self._r.pipeline(transaction=True) as pipe:
            self._add(pipe, [*batch, {"job_id": self._job_id, "attempt": self._attempt, **fields}],
                      final=True)
            if also is not None:
                also(pipe)
            await pipe.execute()

    async def done(self, message_id: str, content: str,
                   also: Callable[[Pipeline], None] | None = None) -> None:
        await self.finish({"type": "done", "message_id": message_id, "content": content}, also)

    async def error(self, code: str, message: str,
                    also: Callable[[Pipeline], None] | None = None) -> None:
        await self.finish({"type": "error", "code": code, "message": message}, also)
