"""Streaming chat completions with the official openai SDK."""

from __future__ import annotations

from typing import AsyncIterator, Sequence

from openai import AsyncOpenAI, AsyncStream

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
        # The SDK's own request and streaming, through its generic post(): chat.completions
        # .create() first walks every message of the history through its type transforms,
        # and builds a typed object per event, which together cost more CPU than the rest of
        # a reply. Our messages are plain strings that need neither, and events come as
        # dicts (cast_to=object). Errors are raised as by create().
        stream = await self._client.post(
            "/chat/completions",
            body={"model": self.model, "messages": messages, "stream": True},
            cast_to=object,
            stream=True,
            stream_cls=AsyncStream[object],
        )
        async with stream:
            async for event in stream:
                content = _delta_content(event)
                if content:
                    yield content

    async def close(self) -> None:
        await self._client.close()


def _delta_content(event: object) -> str | None:
    """The text of a chat.completion.chunk event, if it carries any."""
    if not isinstance(event, dict):
        return None
    choices = event.get("choices")
    if not choices or not isinstance(choices[0], dict):
        return None
    delta = choices[0].get("delta")
    content = delta.get("content") if isinstance(delta, dict) else None
    return content if isinstance(content, str) else None
