"""A scriptable, deterministic OpenAI-compatible model server for the acceptance suite.

Run it from the repository root:

    python -m support.model.server --host 127.0.0.1 --port 8100

Model API (any model name and any API key are accepted):

    GET  /health                -> {"status": "ok"}
    GET  /v1/models             -> one model, "fake-model"
    POST /v1/chat/completions   -> a chat.completion, or with "stream": true a text/event-stream
                                   of chat.completion.chunk events ending with "data: [DONE]"

The reply depends only on the request's messages, so a scenario can tell from the answer
what history the engine sent:

    last user message says "my name is X"   -> "Nice to meet you, X! I will remember your name."
    last user message asks "what is my name"
    (or "what's my name")                   -> "Your name is X." when an EARLIER user message of
                                               the same request said "my name is X" (the latest
                                               wins), else "I don't know your name yet."
    last user message asks "where do I live"-> "You live in X." when an EARLIER user message said
                                               "I live in X" (the latest wins), else "I don't
                                               know where you live."
    anything else                           -> "You said: {text}. This is message {n} of this
                                               conversation." (n = user messages in the request)

A streamed reply comes as exactly `chunks` content pieces (fewer when the reply has fewer
words), cut at word boundaries; joined they give exactly the reply.

Control API (JSON):

    GET  /control/behaviour            -> the current settings
    PUT  /control/behaviour            -> change any of the settings below; they hold for every
                                          later request until reset. Returns the new settings.
    POST /control/reset                -> restore every default and clear the recorded requests
    GET  /control/requests?since=SEQ   -> {"requests": [...], "last_seq": N}: the recorded
                                          requests with seq > SEQ (all when omitted)
    DELETE /control/requests           -> forget the recorded requests

Settings (default in brackets):

    chunks                [4]     content pieces per streamed reply (>= 1)
    first_chunk_delay_ms  [0]     wait before the first event of a stream: time to first token
    chunk_delay_ms        [0]     wait before each content piece
    fail_status           [null]  when set (400-599), answer every completion request with that
                                  HTTP status and an OpenAI-style {"error": {...}} body
    poison_text           [null]  when set, a request whose last user message contains this
                                  text is refused with HTTP 400 every time, as a provider
                                  refuses content it will not handle: a job that can never
                                  be answered, and that retrying at once does not help
    stalled               [false] while true, requests are recorded on arrival and then held
                                  until it is set back to false (or reset). A held stream
                                  has its response started and gets an SSE comment line
                                  (": held") every second, as providers that queue requests
                                  do; a held failure or non-streamed request gets nothing.
    context_tokens        [null]  the model's context window, in tokens: a request whose
                                  messages hold more is refused as OpenAI refuses it, HTTP 400
                                  with error code "context_length_exceeded" (before any fault
                                  is taken). A token is 4 characters of a message's text,
                                  rounded up per message, system messages included
                                  (support/model/window.py). `--context-tokens N` sets it
                                  from the start, and a reset restores that value.

Faults for the next N requests or for a while (support/model/faults.py lists them):

    GET    /control/fault              -> the fault in force, or null
    PUT    /control/fault              -> set one, e.g. {"kind": "status", "status": 429,
                                          "retry_after_s": 2, "times": 2}; returns it
    DELETE /control/fault              -> clear it (a reset clears it too)

A non-streamed reply waits as long as its stream would have: first_chunk_delay_ms plus
chunk_delay_ms for each piece.

Every completion request with a valid body is recorded, failed ones too, as
{"seq", "received_at", "model", "stream", "messages", "tokens", "reply", "status", "fault"}
where "tokens" is the request's size by the window's rule, "reply" is null for a failed
request, "status" is the HTTP status it was answered with and "fault" the kind of fault it
got, or null. Sequence
numbers rise for the life of the process and are not reused after a reset, so a mark taken
from "last_seq" stays valid. Only the latest RECORD_LIMIT requests are kept.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import itertools
import json
import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, AsyncIterator

import uvicorn
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from support.model.faults import Fault, FaultPlan, faulty_stream
from support.model.replies import message_text, reply_for, split_into_pieces
from support.model.window import tokens_in, too_long

MODEL_ID = "fake-model"
RECORD_LIMIT = 10_000


# --- Behaviour -------------------------------------------------------------------------


@dataclass(frozen=True)
class Behaviour:
    """How the model behaves; each request runs with a snapshot taken when it arrives."""

    chunks: int = 4
    chunk_delay_ms: int = 0
    first_chunk_delay_ms: int = 0
    fail_status: int | None = None
    poison_text: str | None = None
    stalled: bool = False
    context_tokens: int | None = None

    def __post_init__(self) -> None:
        if self.poison_text is not None and not (isinstance(self.poison_text, str)
                                                 and self.poison_text):
            raise ValueError(f"poison_text must be a non-empty string, got {self.poison_text!r}")
        if not isinstance(self.stalled, bool):
            raise ValueError(f"stalled must be true or false, got {self.stalled!r}")
        _require_int("chunks", self.chunks, minimum=1)
        _require_int("chunk_delay_ms", self.chunk_delay_ms, minimum=0)
        _require_int("first_chunk_delay_ms", self.first_chunk_delay_ms, minimum=0)
        if self.fail_status is not None:
            _require_int("fail_status", self.fail_status, minimum=400, maximum=599)
        if self.context_tokens is not None:
            _require_int("context_tokens", self.context_tokens, minimum=1)

    def updated(self, changes: dict[str, Any]) -> Behaviour:
        known = {field.name for field in dataclasses.fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise ValueError(f"unknown setting(s) {unknown}; known: {sorted(known)}")
        return dataclasses.replace(self, **changes)

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _require_int(name: str, value: Any, *, minimum: int, maximum: int | None = None) -> None:
    # bool is an int in Python, but "chunks": true is a mistake worth reporting.
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if value < minimum or (maximum is not None and value > maximum):
        upper = "" if maximum is None else f" and <= {maximum}"
        raise ValueError(f"{name} must be >= {minimum}{upper}, got {value}")


# --- Recording -------------------------------------------------------------------------


class RequestLog:
    """The latest completion requests, numbered in arrival order."""

    def __init__(self, limit: int = RECORD_LIMIT) -> None:
        self._records: deque[dict[str, Any]] = deque(maxlen=limit)
        self._seq = itertools.count(1)
        self.last_seq = 0

    def record(self, **fields: Any) -> dict[str, Any]:
        self.last_seq = next(self._seq)
        entry = {"seq": self.last_seq, "received_at": datetime.now(timezone.utc).isoformat(), **fields}
        self._records.append(entry)
        return entry

    def since(self, seq: int) -> list[dict[str, Any]]:
        return [entry for entry in self._records if entry["seq"] > seq]

    def clear(self) -> None:
        self._records.clear()


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


HELD_COMMENT_EVERY_S = 1.0


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


# --- The app ---------------------------------------------------------------------------


def create_app(context_tokens: int | None = None) -> FastAPI:
    app = FastAPI(title="Fake OpenAI-compatible model")
    initial = Behaviour(context_tokens=context_tokens)
    state = {"behaviour": initial}
    released = asyncio.Event()  # cleared while the model is stalled
    released.set()
    log = RequestLog()
    faults = FaultPlan()

    def behave_as(behaviour: Behaviour) -> dict[str, Any]:
        state["behaviour"] = behaviour
        if behaviour.stalled:
            released.clear()
        else:
            released.set()
        return behaviour.as_dict()

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/v1/models")
    async def models() -> dict[str, Any]:
        return {"object": "list", "data": [{"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "acceptance"}]}

    @app.post("/v1/chat/completions")
    async def chat_completions(request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError:
            return error_response(400, "The request body is not valid JSON.")
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            return error_response(400, "The request body needs a 'messages' list.")
        messages = [m for m in body["messages"] if isinstance(m, dict)]

        behaviour = state["behaviour"]
        stream = bool(body.get("stream"))
        refusal = too_long(messages, behaviour.context_tokens)
        failure = 400 if refusal else planned_failure(behaviour, messages)
        fault = None if failure else faults.take(stream)
        if fault is not None and fault.kind == "status":
            failure = fault.status
        reply = reply_for(messages)
        entry = log.record(
            model=body.get("model"),
            stream=stream,
            messages=body["messages"],
            tokens=tokens_in(messages),
            reply=None if failure else reply,
            status=failure or 200,
            fault=fault.kind if fault else None,
        )
        if failure:
            await released.wait()
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
        return await answer(completion, behaviour, fault, released)

    @app.get("/control/behaviour")
    async def get_behaviour() -> dict[str, Any]:
        return state["behaviour"].as_dict()

    @app.put("/control/behaviour")
    async def put_behaviour(request: Request) -> dict[str, Any]:
        try:
            changes = await request.json()
            if not isinstance(changes, dict):
                raise ValueError("the body must be a JSON object of settings")
            updated = state["behaviour"].updated(changes)
        except ValueError as error:
            raise HTTPException(status_code=422, detail=str(error)) from error
        return behave_as(updated)

    @app.post("/control/reset")
    async def reset() -> dict[str, Any]:
        log.clear()
        faults.set(None)
        return behave_as(initial)

    @app.get("/control/fault")
    async def get_fault() -> dict[str, Any] | None:
        return faults.current()

    @app.put("/control/fault")
    async def put_fault(request: Request) -> dict[str, Any] | None:
        try:
            return faults.set(Fault.from_json(await request.json()))
        except (ValueError, TypeError) as error:
            raise HTTPException(status_code=422, detail=str(error)) from error

    @app.delete("/control/fault")
    async def clear_fault() -> None:
        faults.set(None)

    @app.get("/control/requests")
    async def recorded(since: int = 0) -> dict[str, Any]:
        return {"requests": log.since(since), "last_seq": log.last_seq}

    @app.delete("/control/requests")
    async def forget() -> dict[str, Any]:
        log.clear()
        return {"requests": [], "last_seq": log.last_seq}

    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log-level", default="info")
    parser.add_argument("--context-tokens", type=int, default=None,
                        help="the model's context window in tokens (default: none)")
    args = parser.parse_args(argv)
    # No access log: a load run would drown the output. A short graceful-shutdown timeout
    # so a stuck stream never keeps the process alive after SIGTERM.
    uvicorn.run(
        create_app(args.context_tokens),
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        access_log=False,
        timeout_graceful_shutdown=2,
    )


if __name__ == "__main__":
    main()
