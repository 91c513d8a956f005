"""Reads the engine's PostgreSQL rows, as the contract names them. It only observes."""

from __future__ import annotations

import asyncpg


class DatabaseProbe:
    def __init__(self, pool: asyncpg.Pool):
        self.pool = pool

    @classmethod
    async def connect(cls, url: str) -> "DatabaseProbe":
        return cls(await asyncpg.create_pool(url, min_size=1, max_size=4))

    async def messages(self, conversation_id: str) -> list[dict]:
        """The conversation's messages in the contract's order."""
        rows = await self.pool.fetch(
            "select id, role, content, client_message_id, job_id, created_at"
            " from public.messages where conversation_id = $1 order by created_at, id",
            conversation_id)
        return [dict(row) for row in rows]

    async def conversation_owner(self, conversation_id: str) -> str | None:
        """The user the conversation belongs to; None if it was never created."""
        owner = await self.pool.fetchval(
            "select user_id from public.conversations where id = $1", conversation_id)
        return str(owner) if owner else None

    async def messages_in(self, conversation_ids: set[str]) -> list[dict]:
        """Every message of these conversations, in the contract's order."""
        rows = await self.pool.fetch(
            "select id, conversation_id, role, content, client_message_id, job_id, created_at"
            " from public.messages where conversation_id = any($1::uuid[])"
            " order by created_at, id", list(conversation_ids))
        return [dict(row) for row in rows]

    async def server_version(self) -> str:
        return await self.pool.fetchval("show server_version")

    async def close(self):
        await self.pool.close()
