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
{"seq", "received_at", "model", "stream", "messages", "tokens", "reply", "status", "fault"},
and "ended_at" once its last byte went out or its stream was dropped, where "tokens" is the
request's size by the window's rule, "reply" is null for a failed request, "status" is the
HTTP status it was answered with and "fault" the kind of fault it got, or null. Sequence
numbers rise for the life of the process and are not reused after a reset, so a mark taken
from "last_seq" stays valid. Only the latest RECORD_LIMIT requests are kept.

The settings and the record are in support/model/behaviour.py, how a completion request is
answered in support/model/completions.py; this module is the app and its routes.
"""

from __future__ import annotations

import argparse
from typing import Any

import uvicorn
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import Response

from support.model.behaviour import Behaviour, ScriptedModel
from support.model.completions import MODEL_ID, error_response, respond
from support.model.faults import Fault


def create_app(context_tokens: int | None = None) -> FastAPI:
    app = FastAPI(title="Fake OpenAI-compatible model")
    model = ScriptedModel(Behaviour(context_tokens=context_tokens))
    _add_model_api(app, model)
    _add_behaviour_control(app, model)
    _add_fault_control(app, model)
    _add_request_control(app, model)
    return app


def _add_model_api(app: FastAPI, model: ScriptedModel) -> None:
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
        return await respond(body, model)


def _add_behaviour_control(app: FastAPI, model: ScriptedModel) -> None:
    @app.get("/control/behaviour")
    async def get_behaviour() -> dict[str, Any]:
        return model.behaviour.as_dict()

    @app.put("/control/behaviour")
    async def put_behaviour(request: Request) -> dict[str, Any]:
        try:
            changes = await request.json()
            if not isinstance(changes, dict):
                raise ValueError("the body must be a JSON object of settings")
            updated = model.behaviour.updated(changes)
        except ValueError as error:
            raise HTTPException(status_code=422, detail=str(error)) from error
        return model.behave_as(updated)

    @app.post("/control/reset")
    async def reset() -> dict[str, Any]:
        return model.reset()


def _add_fault_control(app: FastAPI, model: ScriptedModel) -> None:
    @app.get("/control/fault")
    async def get_fault() -> dict[str, Any] | None:
        return model.faults.current()

    @app.put("/control/fault")
    async def put_fault(request: Request) -> dict[str, Any] | None:
        try:
            return model.faults.set(Fault.from_json(await request.json()))
        except (ValueError, TypeError) as error:
            raise HTTPException(status_code=422, detail=str(error)) from error

    @app.delete("/control/fault")
    async def clear_fault() -> None:
        model.faults.set(None)


def _add_request_control(app: FastAPI, model: ScriptedModel) -> None:
    @app.get("/control/requests")
    async def recorded(since: int = 0) -> dict[str, Any]:
        return {"requests": model.log.since(since), "last_seq": model.log.last_seq}

    @app.delete("/control/requests")
    async def forget() -> dict[str, Any]:
        model.log.clear()
        return {"requests": [], "last_seq": model.log.last_seq}


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
