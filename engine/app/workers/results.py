"""Writing one job's reply to its result stream, llm_results:{job_id}."""

from __future__ import annotations

import redis.asyncio as redis

from app.core.queue import results_stream


class ResultPublisher:
    def __init__(self, r: redis.Redis, job_id: str, attempt: int, ttl_s: int) -> None:
        self._r = r
        self._key = results_stream(job_id)
        self._job_id = job_id
        self._attempt = str(attempt)
        self._ttl_s = ttl_s
        self._seq = 0

    async def _publish(self, fields: dict[str, str]) -> None:
        # Every write renews the lifetime, so the stream outlives the reply by RESULT_TTL_S.
        async with self._r.pipeline(transaction=False) as pipe:
            pipe.xadd(self._key, fields)
            pipe.expire(self._key, self._ttl_s)
            await pipe.execute()

    async def chunk(self, content: str) -> None:
        fields = {
            "type": "chunk", "job_id": self._job_id, "attempt": self._attempt,
            "seq": str(self._seq), "content": content,
        }
        await self._publish(fields)
        self._seq += 1

    async def done(self, message_id: str, content: str) -> None:
        await self._publish(
            {
                "type": "done", "job_id": self._job_id, "attempt": self._attempt,
                "message_id": message_id, "content": content,
            }
        )

    async def error(self, code: str, message: str) -> None:
        await self._publish(
            {"type": "error", "job_id": self._job_id, "attempt": self._attempt,
             "code": code, "message": message}
        )
