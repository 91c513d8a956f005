"""Streaming chat completions with the official openai SDK, retried within one delivery.

A provider answering 429 or 5xx, a connection that drops, a stream that stalls past
LLM_TIMEOUT_S, breaks, sends an event that is not JSON or ends without a finish reason: each
is retried, up to MODEL_TRIES streams, after a bounded back-off, or after the provider's
Retry-After when it gives one. Each retried stream starts again from the first piece, so the
caller is told (on_restart) and publishes it as a new attempt (docs/contract.md, "When a
reply restarts"). When the tries run out, ModelUnavailable says how the user is told.
Any other failure (a 400, a bad key) is raised as it is: retrying at once would not help;
a 400 `context_length_exceeded` is answered by leaving out the oldest turns (window.py).
"""

from __future__ import annotations

import email.utils
import json
import logging
import time
from typing import Awaitable, Callable, Sequence

import httpx
from openai import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AsyncOpenAI,
    AsyncStream,
    InternalServerError,
    RateLimitError,
)
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from app.core.config import Settings
from app.llm.window import send_within_window

SYSTEM_PROMPT = "You are Grizz, a helpful assistant. Answer clearly and concisely."

MODEL_TRIES = 3  # streams per delivery: the first and two retries
BACKOFF_FIRST_S = 0.5  # back-off before the first retry without Retry-After, doubling ...
BACKOFF_MAX_S = 8.0  # ... up to this
RETRY_AFTER_MAX_S = 30  # a provider asking to wait longer is not waited for: the user is told
TRANSIENT_STATUSES = {408, 409, 425, 429}  # and every 5xx

log = logging.getLogger("grizz.model")

OnPiece = Callable[[str], Awaitable[None]]
OnRestart = Callable[[int], Awaitable[None]]


class IncompleteStream(Exception):
    """The stream ended without a finish reason: the reply was cut short."""


class ModelUnavailable(Exception):
    """The model could not answer within the tries; code and retry_after are for the user."""

    def __init__(self, code: str, retry_after: int | None, cause: BaseException) -> None:
        super().__init__(f"{code} after {MODEL_TRIES} tries: {type(cause).__name__}: {cause}")
        self.code = code
        self.retry_after = retry_after


def stream_attempt(delivery: int, retry: int) -> int:
    """The attempt number of a result stream: rising across retries and across deliveries
    (delivery d uses (d-1)*MODEL_TRIES+1 ... d*MODEL_TRIES), with no state to keep."""
    return (delivery - 1) * MODEL_TRIES + retry + 1


def is_transient(error: BaseException) -> bool:
    if isinstance(error, (APIConnectionError, RateLimitError, InternalServerError,
                          IncompleteStream, json.JSONDecodeError, httpx.TransportError)):
        return True
    return isinstance(error, APIStatusError) and (
        error.status_code in TRANSIENT_STATUSES or error.status_code >= 500)


def retry_after_s(error: BaseException | None) -> float | None:
    """The provider's Retry-After (seconds or an HTTP date; retry-after-ms too), if any."""
    response = getattr(error, "response", None)
    if not isinstance(error, APIStatusError) or response is None:
        return None
    headers = response.headers
    try:
        if "retry-after-ms" in headers:
            return max(0.0, float(headers["retry-after-ms"]) / 1000)
        if "retry-after" in headers:
            value = headers["retry-after"]
            try:
                return max(0.0, float(value))
            except ValueError:
                return max(0.0, email.utils.parsedate_to_datetime(value).timestamp() - time.time())
    except (ValueError, TypeError):
        return None
    return None


def _wait(retry_state: RetryCallState) -> float:
    asked = retry_after_s(retry_state.outcome.exception())
    return asked if asked is not None else _backoff(retry_state)


_backoff = wait_exponential_jitter(multiplier=BACKOFF_FIRST_S, max=BACKOFF_MAX_S, jitter=0.25)


def _asks_too_long(retry_state: RetryCallState) -> bool:
    asked = retry_after_s(retry_state.outcome.exception())
    return asked is not None and asked > RETRY_AFTER_MAX_S


def _log_retry(retry_state: RetryCallState) -> None:
    error = retry_state.outcome.exception()
    log.warning("model stream %s of %s failed (%s: %s); retrying in %.1fs",
                retry_state.attempt_number, MODEL_TRIES, type(error).__name__, error,
                retry_state.upcoming_sleep)


class ChatModel:
    def __init__(self, settings: Settings) -> None:
        self.model = settings.llm_model
        # The SDK's own retries are off: they would restart a stream without telling us, and
        # the user would see the same pieces twice. LLM_TIMEOUT_S bounds each wait for bytes.
        self._client = AsyncOpenAI(
            base_url=settings.llm_base_url,
            api_key=settings.llm_api_key,
            timeout=settings.llm_timeout_s,
            max_retries=0,
        )

    async def stream_reply(self, history: Sequence[dict], on_piece: OnPiece,
                           on_restart: OnRestart) -> None:
        """Stream the reply to a conversation given as chat messages, piece by piece, into
        on_piece. Before a retried stream, on_restart(retry) (1, 2, ...): drop what you had.
        A conversation longer than the model's window is sent as its newest turns that fit
        (app/llm/window.py); TooLongForModel when its newest message alone does not."""
        async def send(messages: list[dict]) -> None:
            await self._stream_with_retries(messages, on_piece, on_restart)
        await send_within_window(send, [{"role": "system", "content": SYSTEM_PROMPT}], history)

    async def _stream_with_retries(self, messages: list[dict], on_piece: OnPiece,
                                   on_restart: OnRestart) -> None:
        """One request, retried MODEL_TRIES times in all while it fails in a passing way. A
        refusal (a 400) is raised at once: it streamed nothing, so no attempt is lost."""
        retrying = AsyncRetrying(
            stop=stop_after_attempt(MODEL_TRIES) | _asks_too_long,
            wait=_wait,
            retry=retry_if_exception(is_transient),
            before_sleep=_log_retry,
            reraise=True,
        )
        tries = 0

        async def one_stream() -> None:
            nonlocal tries
            tries += 1
            if tries > 1:
                await on_restart(tries - 1)
            await self._stream_once(messages, on_piece)
        try:
            await retrying(one_stream)
        except Exception as error:
            if not is_transient(error):
                raise
            code = "model_timeout" if isinstance(error, APITimeoutError) else "model_unavailable"
            asked = retry_after_s(error)
            raise ModelUnavailable(code, None if asked is None else max(1, round(asked)),
                                   error) from error

    async def _stream_once(self, messages: list[dict], on_piece: OnPiece) -> None:
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
        finished = False
        async with stream:
            async for event in stream:
                content, finish_reason = _delta(event)
                if content:
                    await on_piece(content)
                finished = finished or finish_reason is not None
        if not finished:
            raise IncompleteStream("the model's stream ended without a finish reason")

    async def close(self) -> None:
        await self._client.close()


def _delta(event: object) -> tuple[str | None, str | None]:
    """The text and the finish reason of a chat.completion.chunk event, where it has them."""
    if not isinstance(event, dict):
        return None, None
    choices = event.get("choices")
    if not choices or not isinstance(choices[0], dict):
        return None, None
    delta = choices[0].get("delta")
    content = delta.get("content") if isinstance(delta, dict) else None
    finish_reason = choices[0].get("finish_reason")
    return (content if isinstance(content, str) else None,
            finish_reason if isinstance(finish_reason, str) else None)
