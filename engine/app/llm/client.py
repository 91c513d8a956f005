"""Streaming chat completions with the official openai SDK."""

from __future__ import annotations

from typing import AsyncIterator, Sequence

from openai import AsyncOpenAI

from app.core.config import Settings

SYSTEM_PROMPT = "You are Grizz, a helpful assistant. Answer clearly and concisely."


class ChatModel:
    def __init__(self, settings: Settings) -> None:
        self.model = settings.llm_model
        # No SDK retries: a failed job stays pending and the queue re-delivers it, which
        # counts towards MAX_DELIVERIES. The timeout bounds each wait for the model.
        self._client = AsyncOpenAI(
            base_url=settings.llm_base_url,
            api_key=settings.llm_api_key,
            timeout=settings.llm_timeout_s,
            max_retries=0,
        )

    async def stream_reply(self, history: Sequence[dict]) -> AsyncIterator[str]:
        """Yield the reply's text deltas for a conversation given as chat messages."""
        messages = [{"role": "system", "content": SYSTEM_PROMPT}, *history]
        stream = await self._client.chat.completions.create(
            model=self.model, messages=messages, stream=True
        )
        async with stream:
            async for chunk in stream:
                if chunk.choices and chunk.choices[0].delta.content:
                    yield chunk.choices[0].delta.content

    async def close(self) -> None:
        await self._client.close()
