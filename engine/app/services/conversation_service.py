"""Conversations: created on first use, owned by the user who created them."""

from __future__ import annotations

import uuid

import asyncpg


async def claim_conversation(pool: asyncpg.Pool, conversation_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    """Create the conversation for this user if it is new; True if the user owns it."""
    async with pool.acquire() as conn:
        # ON CONFLICT waits for a racing first connection to commit, so both agree on one owner.
        owner = await conn.fetchval(
            "insert into public.conversations (id, user_id) values ($1, $2) "
            "on conflict (id) do nothing returning user_id",
            conversation_id,
            user_id,
        )
        if owner is None:
            # A separate statement: it takes a fresh snapshot that sees the winner's row.
            owner = await conn.fetchval(
                "select user_id from public.conversations where id = $1", conversation_id
            )
    return owner == user_id

