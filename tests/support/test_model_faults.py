"""The fake model's scripted faults reach the official openai SDK as a provider's would."""

from __future__ import annotations

import time

import httpx
import openai
import pytest
from openai import OpenAI

from support.model.control import FakeModelError, ModelControl

from tests.support.test_model_server import base_url, client, model, stream_pieces, user  # noqa: F401

HELLO = [user("hello there")]
REPLY = "You said: hello there. This is message 1 of this conversation."


def test_status_fault_holds_for_the_next_requests_only(client: OpenAI, model: ModelControl) -> None:
    """A 429 for the next two requests carries Retry-After; the third request is answered."""
    model.fail_next("status", status=429, retry_after_s=2, times=2)
    for _ in range(2):
        with pytest.raises(openai.RateLimitError) as refused:
            stream_pieces(client, HELLO)
        assert refused.value.response.headers["retry-after"] == "2"
    assert "".join(stream_pieces(client, HELLO)) == REPLY
    assert [r["fault"] for r in model.requests()] == ["status", "status", None]
    assert model.fault() is None


def test_fault_for_a_time_ends_by_itself(client: OpenAI, model: ModelControl) -> None:
    """A 503 for 300 ms fails requests in that window and none after it."""
    model.fail_next("status", status=503, for_ms=300)
    with pytest.raises(openai.InternalServerError):
        stream_pieces(client, HELLO)
    time.sleep(0.35)
    assert "".join(stream_pieces(client, HELLO)) == REPLY


def test_dropped_connection_breaks_the_stream(client: OpenAI, model: ModelControl) -> None:
    """A connection cut mid-body surfaces in the SDK as a broken stream after the first pieces."""
    model.fail_next("drop_midway", after_pieces=1, times=1)
    pieces: list[str] = []
    with pytest.raises((openai.APIConnectionError, httpx.HTTPError)):
        for chunk in client.chat.completions.create(model="m", messages=HELLO, stream=True):
            if chunk.choices and chunk.choices[0].delta.content:
                pieces.append(chunk.choices[0].delta.content)
    assert len(pieces) == 1


def test_malformed_event_is_not_json(client: OpenAI, model: ModelControl) -> None:
    """A malformed event makes the SDK fail to decode the stream."""
    model.fail_next("malformed_event", after_pieces=2, times=1)
    with pytest.raises(ValueError):
        stream_pieces(client, HELLO)


def test_stream_ending_early_has_no_finish_reason(client: OpenAI, model: ModelControl) -> None:
    """A stream cut short ends without error, but with fewer pieces and no finish reason."""
    model.fail_next("ends_early", after_pieces=2, times=1)
    chunks = list(client.chat.completions.create(model="m", messages=HELLO, stream=True))
    texts = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    assert len(texts) == 2
    assert all(c.choices[0].finish_reason is None for c in chunks if c.choices)


def test_stalls_wait_as_long_as_scripted(client: OpenAI, model: ModelControl) -> None:
    """A stall before the first piece, or midway, delays the whole reply by about that long."""
    for kind in ("stall_before_first", "stall_midway"):
        model.fail_next(kind, stall_ms=300, times=1)
        started = time.monotonic()
        assert "".join(stream_pieces(client, HELLO)) == REPLY
        assert time.monotonic() - started >= 0.3


def test_a_stall_longer_than_the_client_timeout_times_out(base_url: str, model: ModelControl) -> None:  # noqa: F811
    """A client whose read timeout is shorter than the stall gives up with a timeout."""
    impatient = OpenAI(base_url=f"{base_url}/v1", api_key="any", max_retries=0, timeout=0.3)
    model.fail_next("stall_midway", stall_ms=2000, times=1)
    with pytest.raises(openai.APITimeoutError):
        stream_pieces(impatient, HELLO)


def test_bad_faults_are_refused_with_a_reason(model: ModelControl) -> None:
    """Unknown kinds, a missing duration and bad numbers are refused, naming the problem."""
    with pytest.raises(FakeModelError, match="kind must be one of"):
        model.fail_next("gremlins", times=1)
    with pytest.raises(FakeModelError, match="exactly one of times"):
        model.fail_next("status")
    with pytest.raises(FakeModelError, match="status must be"):
        model.fail_next("status", status=200, times=1)
    assert model.fault() is None


def test_a_stalled_stream_is_kept_open_with_comments(client: OpenAI, model: ModelControl) -> None:
    """A held stream outlasts a read timeout shorter than the hold: the model keeps it alive."""
    import threading

    model.behave_like(stalled=True)
    release = threading.Timer(2.5, lambda: model.behave_like(stalled=False))
    release.start()
    patient = client.with_options(timeout=1.5)
    try:
        assert "".join(stream_pieces(patient, HELLO)) == REPLY
    finally:
        release.cancel()
        model.behave_like(stalled=False)
