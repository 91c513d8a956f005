"""The engine's model client fits a long conversation into a real (scriptable) model's context
window: the newest whole turns that fit, the system message first, and a clear refusal when
the newest message alone is too long."""

from __future__ import annotations

import asyncio

import pytest

from app.llm.window import TooLongForModel, turns_of
from support.model.control import ModelControl
from support.model.window import tokens_in
from tests.engine.test_model_retries import chat_model, model  # noqa: F401
from tests.support.test_model_server import base_url  # noqa: F401  (a fake model on a free port)


def conversation(turns: int) -> list[dict]:
    """`turns` earlier turns of about 20 tokens each, then a question."""
    history = []
    for n in range(turns):
        history += [{"role": "user", "content": f"Earlier message number {n} of this chat."},
                    {"role": "assistant", "content": f"You said: earlier message number {n}."}]
    return [*history, {"role": "user", "content": "And now?"}]


def answer(base_url: str, history: list[dict]) -> str:  # noqa: F811
    pieces: list[str] = []

    async def piece(text: str) -> None:
        pieces.append(text)

    async def restart(retry: int) -> None:
        pieces.clear()

    async def run() -> None:
        client = chat_model(base_url)
        try:
            await client.stream_reply(history, piece, restart)
        finally:
            await client.close()
    asyncio.run(run())
    return "".join(pieces)


def answered(model: ModelControl) -> dict:  # noqa: F811
    [request] = [r for r in model.requests() if r["status"] == 200]
    return request


@pytest.mark.parametrize("states_its_count", [True, False])
def test_the_newest_turns_that_fit_are_sent(base_url: str, model: ModelControl,  # noqa: F811
                                            states_its_count: bool,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Ten turns in a window of 100 tokens: the model answers the system message and as many
    newest turns as fit, whole and in order; one more would not have fit. Without the
    refusal's numbers, the engine gets there one turn at a time."""
    if not states_its_count:
        monkeypatch.setattr("app.llm.window.stated_limits", lambda error: None)
    model.behave_like(context_tokens=100)
    history = conversation(10)
    assert answer(base_url, history)
    sent = answered(model)["messages"]
    assert sent[0]["role"] == "system" and sent[-1] == history[-1]
    kept = sent[1:]
    assert kept == history[len(history) - len(kept):] and kept[0]["role"] == "user"
    older = turns_of(history[:len(history) - len(kept)])
    assert older and tokens_in([*sent, *older[-1]]) > 100 >= tokens_in(sent)
    refused = [r for r in model.requests() if r["status"] == 400]
    assert len(refused) == (1 if states_its_count else len(older))


def test_a_conversation_that_fits_is_sent_whole_once(base_url: str, model: ModelControl) -> None:  # noqa: F811
    model.behave_like(context_tokens=1000)
    history = conversation(3)
    answer(base_url, history)
    assert [r["messages"][1:] for r in model.requests()] == [history]


def test_a_message_too_long_alone_is_refused(base_url: str, model: ModelControl) -> None:  # noqa: F811
    model.behave_like(context_tokens=50)
    history = [*conversation(2)[:-1], {"role": "user", "content": "word " * 60}]
    with pytest.raises(TooLongForModel):
        answer(base_url, history)
    assert model.requests()[-1]["messages"][1:] == history[-1:]
    assert all(r["status"] == 400 for r in model.requests())


def test_turns_group_each_message_with_its_replies() -> None:
    history = [{"role": "assistant", "content": "a"}, {"role": "user", "content": "u1"},
               {"role": "assistant", "content": "r1"}, {"role": "user", "content": "u2"}]
    assert turns_of(history) == [history[:1], history[1:3], history[3:]]
