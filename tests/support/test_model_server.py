"""The fake model answers the official openai SDK like OpenAI would, and obeys its control API."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import openai
import pytest
from openai import OpenAI

from support.model.control import FakeModelError, FakeModelUnavailable, ModelControl

REPO_ROOT = Path(__file__).resolve().parents[2]
READY_WITHIN_S = 20


def free_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_loopback_port()
    url = f"http://127.0.0.1:{port}"
    log_path = tmp_path_factory.mktemp("model_server") / "server.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "support.model.server", "--host", "127.0.0.1", "--port", str(port)],
            cwd=REPO_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until_healthy(server, url, log_path)
            yield url
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def wait_until_healthy(server: subprocess.Popen, url: str, log_path: Path) -> None:
    probe = ModelControl(url, timeout=0.5)
    deadline = time.monotonic() + READY_WITHIN_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"fake model exited with {server.returncode}:\n{log_path.read_text()}")
        try:
            probe.health()
            return
        except FakeModelUnavailable:
            time.sleep(0.05)
    pytest.fail(f"fake model not healthy within {READY_WITHIN_S} s:\n{log_path.read_text()}")


@pytest.fixture
def model(base_url: str) -> ModelControl:
    control = ModelControl(base_url)
    control.reset()
    return control


@pytest.fixture
def client(base_url: str, model: ModelControl) -> OpenAI:
    # No SDK retries: a simulated failure must surface once, not be retried with backoff.
    return OpenAI(base_url=f"{base_url}/v1", api_key="any", max_retries=0, timeout=10)


def user(text: str) -> dict[str, str]:
    return {"role": "user", "content": text}


def assistant(text: str) -> dict[str, str]:
    return {"role": "assistant", "content": text}


def ask(client: OpenAI, messages: list[dict[str, str]], model: str = "any-model") -> str:
    completion = client.chat.completions.create(model=model, messages=messages)
    return completion.choices[0].message.content


def stream_pieces(client: OpenAI, messages: list[dict[str, str]]) -> list[str]:
    stream = client.chat.completions.create(model="any-model", messages=messages, stream=True)
    return [chunk.choices[0].delta.content for chunk in stream if chunk.choices and chunk.choices[0].delta.content]


def test_health_and_model_list(client: OpenAI, model: ModelControl) -> None:
    """The server reports healthy and lists exactly one model through the SDK."""
    assert model.health() == {"status": "ok"}
    assert [m.id for m in client.models.list()] == ["fake-model"]


def test_non_streaming_completion(client: OpenAI) -> None:
    """A non-streaming request gets a complete chat.completion echoing the requested model."""
    completion = client.chat.completions.create(model="gpt-whatever", messages=[user("hello there")])
    assert completion.object == "chat.completion"
    assert completion.model == "gpt-whatever"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.choices[0].message.role == "assistant"
    assert completion.choices[0].message.content == "You said: hello there. This is message 1 of this conversation."
    assert completion.usage.completion_tokens > 0


def test_streaming_completion_shape(client: OpenAI) -> None:
    """A stream opens with the assistant role, carries content deltas and ends with finish_reason stop."""
    chunks = list(client.chat.completions.create(model="m", messages=[user("hi"), user("again")], stream=True))
    assert all(chunk.object == "chat.completion.chunk" for chunk in chunks)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert [c.choices[0].finish_reason for c in chunks[:-1]] == [None] * (len(chunks) - 1)
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert text == "You said: again. This is message 2 of this conversation."
    assert chunks[-1].usage is None


def test_streaming_usage_chunk_when_asked(client: OpenAI) -> None:
    """With stream_options.include_usage the stream ends with a usage chunk that has no choices."""
    stream = client.chat.completions.create(
        model="m", messages=[user("count me")], stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    assert chunks[-1].choices == []
    assert chunks[-1].usage.total_tokens == chunks[-1].usage.prompt_tokens + chunks[-1].usage.completion_tokens
    assert chunks[-2].choices[0].finish_reason == "stop"


def test_name_is_acknowledged(client: OpenAI) -> None:
    """Telling the model a name gets a greeting that repeats it."""
    assert ask(client, [user("Hi! My name is Ada.")]) == "Nice to meet you, Ada! I will remember your name."


def test_name_is_recalled_only_from_history_sent(client: OpenAI) -> None:
    """Asked for the name, the model knows it only when an earlier user turn in the request said it."""
    told = [user("my name is Ada"), assistant("Nice to meet you, Ada! I will remember your name.")]
    assert ask(client, [*told, user("What's my name?")]) == "Your name is Ada."
    assert ask(client, [user("what is my name")]) == "I don't know your name yet."
    assert ask(client, [assistant("my name is Zed"), user("What is my name?")]) == "I don't know your name yet."


def test_latest_name_wins(client: OpenAI) -> None:
    """When the history names the user twice, the later name is the one recalled."""
    history = [user("my name is Ada"), assistant("ok"), user("Actually, MY NAME IS Grace"), assistant("ok")]
    assert ask(client, [*history, user("WHAT IS MY NAME")]) == "Your name is Grace."


def test_stream_has_default_four_pieces_that_join_to_the_reply(client: OpenAI) -> None:
    """By default a reply streams as four word-boundary pieces that join to the non-streamed reply."""
    messages = [user("tell me something long enough to split")]
    pieces = stream_pieces(client, messages)
    assert len(pieces) == 4
    assert "".join(pieces) == ask(client, messages)


def test_chunk_count_is_configurable_and_capped_by_words(client: OpenAI, model: ModelControl) -> None:
    """The chunks setting sets the piece count, which never exceeds the reply's word count."""
    messages = [user("my name is Ada")]
    reply = "Nice to meet you, Ada! I will remember your name."
    model.behave_like(chunks=2)
    assert len(pieces := stream_pieces(client, messages)) == 2 and "".join(pieces) == reply
    model.behave_like(chunks=100)
    pieces = stream_pieces(client, messages)
    assert len(pieces) == len(reply.split())
    assert "".join(pieces) == reply


def test_fail_status_surfaces_as_sdk_exceptions(client: OpenAI, model: ModelControl) -> None:
    """fail_status answers every completion with that status, which the SDK raises as its matching error."""
    model.behave_like(fail_status=500)
    with pytest.raises(openai.InternalServerError) as failure:
        ask(client, [user("hello")])
    assert failure.value.status_code == 500
    assert failure.value.type == "server_error"
    with pytest.raises(openai.InternalServerError):
        stream_pieces(client, [user("hello")])

    model.behave_like(fail_status=429)
    with pytest.raises(openai.RateLimitError) as failure:
        ask(client, [user("hello")])
    assert failure.value.code == "rate_limit_exceeded"


def test_failed_requests_are_recorded_without_reply(client: OpenAI, model: ModelControl) -> None:
    """A failed request is still recorded, with a null reply and the status it was answered with."""
    model.behave_like(fail_status=503)
    with pytest.raises(openai.InternalServerError):
        ask(client, [user("anyone there?")])
    [record] = model.requests()
    assert record["reply"] is None
    assert record["status"] == 503


def test_settings_persist_until_reset(client: OpenAI, model: ModelControl) -> None:
    """Settings hold across requests and reset restores every default and clears the recording."""
    defaults = model.behaviour()
    assert defaults == {"chunks": 4, "chunk_delay_ms": 0, "first_chunk_delay_ms": 0, "fail_status": None,
                        "poison_text": None, "stalled": False,
                        "context_tokens": None}
    assert model.behave_like(fail_status=502, chunks=2)["chunks"] == 2
    for _ in range(2):
        with pytest.raises(openai.InternalServerError):
            ask(client, [user("hello")])
    assert model.behaviour()["fail_status"] == 502

    model.reset()
    assert model.behaviour() == defaults
    assert model.requests() == []
    assert ask(client, [user("hello")]).startswith("You said: hello.")


def test_requests_are_recorded_in_order(client: OpenAI, model: ModelControl) -> None:
    """Each completion request is recorded with its messages, model, stream flag and reply, in order."""
    first = [user("one")]
    second = [user("one"), assistant("You said: one."), user("two")]
    ask(client, first, model="model-a")
    stream_pieces(client, second)
    records = model.requests()
    assert [r["messages"] for r in records] == [first, second]
    assert [r["model"] for r in records] == ["model-a", "any-model"]
    assert [r["stream"] for r in records] == [False, True]
    assert records[1]["reply"] == "You said: two. This is message 2 of this conversation."
    assert records[0]["seq"] < records[1]["seq"]
    assert all(r["received_at"] for r in records)


def test_since_filters_and_marks_survive_clearing(client: OpenAI, model: ModelControl) -> None:
    """requests(since=mark) returns only later requests, and clearing keeps sequence numbers rising."""
    ask(client, [user("before")])
    mark = model.last_seq()
    ask(client, [user("after")])
    assert [r["messages"][-1]["content"] for r in model.requests(since=mark)] == ["after"]
    assert len(model.requests()) == 2

    model.clear_requests()
    assert model.requests() == []
    assert model.last_seq() == mark + 1
    ask(client, [user("later")])
    assert [r["seq"] for r in model.requests()] == [mark + 2]


def test_delays_are_at_least_as_configured(client: OpenAI, model: ModelControl) -> None:
    """A stream takes at least the first-chunk delay plus one chunk delay per piece."""
    model.behave_like(first_chunk_delay_ms=200, chunk_delay_ms=50, chunks=4)
    started = time.monotonic()
    pieces = stream_pieces(client, [user("slow please, quite slow")])
    assert len(pieces) == 4
    assert time.monotonic() - started >= 0.2 + 4 * 0.05


def test_invalid_settings_are_rejected(model: ModelControl) -> None:
    """Unknown settings and out-of-range values are refused with a message and change nothing."""
    with pytest.raises(FakeModelError, match="unknown setting") as refused:
        model.behave_like(chunkz=3)
    assert refused.value.status == 422
    with pytest.raises(FakeModelError, match="chunks must be >= 1"):
        model.behave_like(chunks=0)
    with pytest.raises(FakeModelError, match="fail_status"):
        model.behave_like(fail_status=200)
    assert model.behaviour()["chunks"] == 4


def test_control_accepts_the_openai_base_url(base_url: str) -> None:
    """ModelControl also accepts the /v1 base URL the engine is configured with."""
    assert ModelControl(f"{base_url}/v1/").health() == {"status": "ok"}


def test_unreachable_server_names_the_url() -> None:
    """Calling a fake model that is not running raises an error naming the URL."""
    url = f"http://127.0.0.1:{free_loopback_port()}"
    with pytest.raises(FakeModelUnavailable, match=f"not running at {url}"):
        ModelControl(url, timeout=1).health()


def test_poison_text_fails_only_the_messages_that_carry_it(client: OpenAI, model: ModelControl) -> None:
    """A request whose last user message holds the poison text is refused with 400; others are answered."""
    model.behave_like(poison_text="POISON")
    with pytest.raises(openai.BadRequestError):
        ask(client, [user("this is POISON")])
    assert ask(client, [user("this is POISON"), user("fine now")]).startswith("You said: fine now")


def test_a_stalled_model_holds_requests_until_released(client: OpenAI, model: ModelControl) -> None:
    """While stalled, a request is recorded but unanswered; releasing the stall answers it."""
    import threading

    model.behave_like(stalled=True)
    answers: list[str] = []
    asking = threading.Thread(target=lambda: answers.append(ask(client, [user("hold on")])))
    asking.start()
    deadline = time.monotonic() + 10
    while not model.requests() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert [r["messages"][-1]["content"] for r in model.requests()] == ["hold on"]
    assert asking.is_alive() and answers == []
    model.behave_like(stalled=False)
    asking.join(10)
    assert answers and answers[0].startswith("You said: hold on")


def test_a_request_longer_than_the_window_is_refused_as_openai_does(
        client: OpenAI, model: ModelControl) -> None:
    """4 characters a token, rounded up per message: 100 tokens fit a window of 100, 101 do
    not; the refusal is a 400 with code context_length_exceeded, and is recorded."""
    model.behave_like(context_tokens=100)
    fits = [{"role": "system", "content": "x" * 200}, {"role": "user", "content": "y" * 197}]
    client.chat.completions.create(model="m", messages=fits)
    with pytest.raises(openai.BadRequestError) as refused:
        client.chat.completions.create(model="m", messages=[*fits, {"role": "user", "content": "z"}])
    assert refused.value.code == "context_length_exceeded"
    assert "maximum context length is 100 tokens" in refused.value.message
    assert [(r["tokens"], r["status"]) for r in model.requests()[-2:]] == [(100, 200), (101, 400)]
    model.reset()
    assert model.behaviour()["context_tokens"] is None


def test_where_she_lives_is_recalled_only_from_history_sent(client: OpenAI) -> None:
    def ask(messages: list[dict]) -> str:
        return client.chat.completions.create(model="m", messages=messages).choices[0].message.content
    told = {"role": "user", "content": "I live in Lisbon"}
    question = {"role": "user", "content": "Where do I live?"}
    assert ask([told, question]) == "You live in Lisbon."
    assert ask([question]) == "I don't know where you live."
