"""The engine's model client retries passing failures of a real (scriptable) model server,
honours Retry-After, starts each retry as a new attempt, and says how the user is told."""

from __future__ import annotations

import asyncio
import time

import openai
import pytest

from app.core.config import load_settings
from app.llm.client import MODEL_TRIES, ChatModel, ModelUnavailable, stream_attempt
from support.model.control import ModelControl
from tests.support.test_model_server import base_url  # noqa: F401  (a fake model on a free port)

QUESTION = [{"role": "user", "content": "hello there"}]
REPLY = "You said: hello there. This is message 1 of this conversation."


@pytest.fixture
def model(base_url: str) -> ModelControl:  # noqa: F811
    control = ModelControl(base_url)
    control.reset()
    return control


def chat_model(base_url: str, timeout_s: float = 5) -> ChatModel:  # noqa: F811
    return ChatModel(load_settings({"SUPABASE_JWT_SECRET": "x", "LLM_BASE_URL": f"{base_url}/v1",
                                    "LLM_TIMEOUT_S": str(timeout_s)}))


def stream(base_url: str, timeout_s: float = 5) -> tuple[list[list[str]], float]:  # noqa: F811
    """The pieces of each try, and the time it all took."""
    tries: list[list[str]] = [[]]

    async def piece(text: str) -> None:
        tries[-1].append(text)

    async def restart(retry: int) -> None:
        assert retry == len(tries)
        tries.append([])

    async def run() -> None:
        client = chat_model(base_url, timeout_s)
        try:
            await client.stream_reply(QUESTION, piece, restart)
        finally:
            await client.close()
    started = time.monotonic()
    asyncio.run(run())
    return tries, time.monotonic() - started


def test_a_rate_limit_is_waited_out_as_the_provider_asks(base_url: str, model: ModelControl) -> None:  # noqa: F811
    """Two 429s asking for 1 s: three tries, at least 2 s in all, the last one whole."""
    model.fail_next("status", status=429, retry_after_s=1, times=2)
    tries, took = stream(base_url)
    assert len(tries) == 3 and "".join(tries[-1]) == REPLY
    assert took >= 2


@pytest.mark.parametrize("kind", ["drop_midway", "malformed_event", "ends_early"])
def test_a_broken_stream_is_retried_from_its_first_piece(base_url: str, model: ModelControl,  # noqa: F811
                                                         kind: str) -> None:
    """A stream broken after two pieces is tried again, and the retry carries the whole reply."""
    model.fail_next(kind, after_pieces=2, times=1)
    tries, _ = stream(base_url)
    assert len(tries) == 2 and len(tries[0]) == 2 and "".join(tries[1]) == REPLY


def test_a_model_down_for_every_try_is_unavailable(base_url: str, model: ModelControl) -> None:  # noqa: F811
    """503 on every try: MODEL_TRIES requests, then model_unavailable."""
    model.fail_next("status", status=503, for_ms=60_000)
    with pytest.raises(ModelUnavailable) as failed:
        stream(base_url)
    assert failed.value.code == "model_unavailable"
    assert len(model.requests()) == MODEL_TRIES


def test_a_silent_model_times_out(base_url: str, model: ModelControl) -> None:  # noqa: F811
    """Silence longer than the timeout on every try: model_timeout."""
    model.fail_next("stall_before_first", stall_ms=3000, for_ms=60_000)
    with pytest.raises(ModelUnavailable) as failed:
        stream(base_url, timeout_s=0.5)
    assert failed.value.code == "model_timeout"


def test_a_long_retry_after_is_passed_on_not_waited_for(base_url: str, model: ModelControl) -> None:  # noqa: F811
    """A provider asking for 120 s: one try, and the advice goes to the user."""
    model.fail_next("status", status=429, retry_after_s=120, times=5)
    with pytest.raises(ModelUnavailable) as failed:
        stream(base_url)
    assert (failed.value.code, failed.value.retry_after) == ("model_unavailable", 120)
    assert len(model.requests()) == 1


def test_a_refusal_is_not_retried(base_url: str, model: ModelControl) -> None:  # noqa: F811
    """A 400 is raised as it is, after one try."""
    model.behave_like(poison_text="hello")
    with pytest.raises(openai.BadRequestError):
        stream(base_url)
    assert len(model.requests()) == 1


def test_attempts_rise_across_retries_and_deliveries() -> None:
    """Every (delivery, retry) pair has its own attempt number, rising in that order."""
    numbers = [stream_attempt(d, r) for d in (1, 2, 3) for r in range(MODEL_TRIES)]
    assert numbers == sorted(set(numbers)) and numbers[0] == 1
