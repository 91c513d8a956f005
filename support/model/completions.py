"""How the scriptable model answers one completion request: refused when it is too long for
the window, failed when the behaviour or a fault says so, else the reply (support/model/replies.py)
as one chat.completion or as a stream of chat.completion.chunk events, paced by the behaviour
and held while the model is stalled. The rules are listed in support/model/server.py's docstring.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from typing import Any, AsyncIterator

from fastapi.responses import JSONResponse, Response, StreamingResponse

from support.model.behaviour import Behaviour, ScriptedModel
from support.model.faults import Fault, faulty_stream
from support.model.replies import message_text, reply_for, split_into_pieces
from support.model.window import tokens_in, too_long

MODEL_ID = "fake-model"
HELD_COMMENT_EVERY_S = 1.0


async def respond(body: dict[str, Any], model: ScriptedModel) -> Response:
    """Record a completion request whose body has a 'messages' list, and answer it."""
    messages = [m for m in body["messages"] if isinstance(m, dict)]

    behaviour = model.behaviour
    stream = bool(body.get("stream"))
    refusal = too_long(messages, behaviour.context_tokens)
    failure = 400 if refusal else planned_failure(behaviour, messages)
    fault = None if failure else model.faults.take(stream)
    if fault is not None and fault.kind == "status":
        failure = fault.status
    reply = reply_for(messages)
    entry = model.log.record(
        model=body.get("model"),
        stream=stream,
        messages=body["messages"],
        tokens=tokens_in(messages),
        reply=None if failure else reply,
        status=failure or 200,
        fault=fault.kind if fault else None,
    )
    if failure:
        await model.released.wait()
        model.log.ended(entry)
        if refusal:
            return JSONResponse(refusal, status_code=400)
        return error_response(failure, f"Simulated failure of the fake model (status {failure}).",
                              fault.retry_after_s if fault else None)
    completion = Completion(
        seq=entry["seq"],
        model=str(body.get("model") or MODEL_ID),
        messages=messages,
        reply=reply,
        stream=stream,
        include_usage=_wants_usage(body.get("stream_options")),
    )
    response = await answer(completion, behaviour, fault, model.released)
    if isinstance(response, StreamingResponse):
        response.body_iterator = _ending(response.body_iterator, lambda: model.log.ended(entry))
    else:
        model.log.ended(entry)
    return response


async def _ending(events: AsyncIterator[str], ended) -> AsyncIterator[str]:
    try:
        async for event in events:
            yield event
    finally:
        ended()


# --- Responses -------------------------------------------------------------------------


@dataclass(frozen=True)
class Completion:
    """One accepted completion request and the reply it deserves."""

    seq: int
    model: str
    messages: list[dict[str, Any]]
    reply: str
    stream: bool
    include_usage: bool

    @property
    def id(self) -> str:
        return f"chatcmpl-fake-{self.seq}"

    def usage(self) -> dict[str, int]:
        # Word counts stand in for tokens: stable and good enough for accounting tests.
        prompt = sum(len(message_text(m).split()) for m in self.messages)
        completion = len(self.reply.split())
        return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}

    def chunk(self, choices: list[dict[str, Any]], **extra: Any) -> str:
        body = {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": self.model,
            "system_fingerprint": "fake",
            "choices": choices,
            **({"usage": None} if self.include_usage else {}),
            **extra,
        }
        return f"data: {json.dumps(body)}\n\n"


def _delta(delta: dict[str, Any], finish_reason: str | None = None) -> list[dict[str, Any]]:
    return [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}]


async def stream_events(completion: Completion, behaviour: Behaviour) -> AsyncIterator[str]:
    await _sleep_ms(behaviour.first_chunk_delay_ms)
    yield completion.chunk(_delta({"role": "assistant", "content": ""}))
    for piece in split_into_pieces(completion.reply, behaviour.chunks):
        await _sleep_ms(behaviour.chunk_delay_ms)
        yield completion.chunk(_delta({"content": piece}))
    yield completion.chunk(_delta({}, finish_reason="stop"))
    if completion.include_usage:
        yield completion.chunk([], usage=completion.usage())
    yield "data: [DONE]\n\n"


async def whole_completion(completion: Completion, behaviour: Behaviour) -> JSONResponse:
    pieces = len(split_into_pieces(completion.reply, behaviour.chunks))
    await _sleep_ms(behaviour.first_chunk_delay_ms + pieces * behaviour.chunk_delay_ms)
    return JSONResponse(
        {
            "id": completion.id,
            "object": "chat.completion",
            "created": int(time.time()),
            "model": completion.model,
            "system_fingerprint": "fake",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": completion.reply, "refusal": None},
                    "logprobs": None,
                    "finish_reason": "stop",
                }
            ],
            "usage": completion.usage(),
        }
    )


_ERROR_KINDS = {
    401: ("authentication_error", "invalid_api_key"),
    403: ("permission_error", "permission_denied"),
    404: ("not_found_error", "model_not_found"),
    429: ("rate_limit_error", "rate_limit_exceeded"),
}


def error_response(status: int, message: str, retry_after_s: int | None = None) -> JSONResponse:
    default_kind = ("server_error", "server_error") if status >= 500 else ("invalid_request_error", "invalid_request")
    error_type, code = _ERROR_KINDS.get(status, default_kind)
    return JSONResponse(
        {"error": {"message": message, "type": error_type, "param": None, "code": code}}, status_code=status,
        headers={} if retry_after_s is None else {"Retry-After": str(retry_after_s)},
    )


def planned_failure(behaviour: Behaviour, messages: list[dict[str, Any]]) -> int | None:
    """The HTTP status the next request must fail with, or None to answer it.

    Called once per request, so a mode that fails only some requests can count here."""
    if behaviour.poison_text:
        users = [message_text(m) for m in messages if m.get("role") == "user"]
        if users and behaviour.poison_text in users[-1]:
            return 400
    return behaviour.fail_status


async def answer(completion: Completion, behaviour: Behaviour, fault: Fault | None,
                 released: asyncio.Event) -> Response:
    """Answer a request that is not failing, paced the way the behaviour says, with the
    fault applied, once the model is not stalled."""
    if completion.stream:
        events = stream_events(completion, behaviour)
        if fault is not None:
            events = faulty_stream(events, fault, _sleep_ms)
        return StreamingResponse(
            held_until(released, events),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache"},
        )
    await released.wait()
    if fault is not None and fault.kind == "stall_before_first":
        await _sleep_ms(fault.stall_ms)
    return await whole_completion(completion, behaviour)


async def held_until(released: asyncio.Event, events: AsyncIterator[str]) -> AsyncIterator[str]:
    """While the model is stalled, a comment line now and then keeps the stream open."""
    while not released.is_set():
        yield ": held\n\n"
        try:
            await asyncio.wait_for(released.wait(), HELD_COMMENT_EVERY_S)
        except asyncio.TimeoutError:
            pass
    async for event in events:
        yield event


def _wants_usage(stream_options: Any) -> bool:
    return isinstance(stream_options, dict) and bool(stream_options.get("include_usage"))


async def _sleep_ms(milliseconds: int) -> None:
    if milliseconds > 0:
        await asyncio.sleep(milliseconds / 1000)
