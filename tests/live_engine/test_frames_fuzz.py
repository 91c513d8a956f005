"""Fuzzing the engine's frames: random text, random JSON and messages with random fields,
a few hundred in all, sent to the embedded engine over a real socket.

Each frame gets exactly one answer, an ack or a refusal (never an `internal` error), the
connection stays open, and the engine logs no traceback and no error. Hypothesis keeps
every failing example in .hypothesis/ and tries it first on the next run; the examples
below are the ones that broke or could break an engine, tried on every run.
"""

from __future__ import annotations

import json

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.live_engine.conftest import REFUSALS

EXAMPLES_PER_KIND = 100

# Strings as JSON may carry them: any code point, unpaired surrogates and NUL included.
any_string = st.text(st.characters(codec=None, categories=None), max_size=50) | st.text(
    st.characters(categories=["Cs", "Cc"]), max_size=5)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | any_string,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(any_string, inner, max_size=4),
    max_leaves=20)
messages = st.fixed_dictionaries(
    {"type": st.just("message") | any_string},
    optional={"content": json_values, "client_message_id": json_values,
              "extra": json_values})

fuzz = settings(max_examples=EXAMPLES_PER_KIND, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def assert_answered(fuzz_engine, frame):
    sender, _ = fuzz_engine
    answer = sender.answer_to(frame)
    assert answer["type"] == "ack" or answer.get("code") in REFUSALS, (
        f"{frame[:200]!r} was answered with {answer}")


def assert_log_clean(fuzz_engine):
    _, log = fuzz_engine
    lines = [line for line in log.read_text().splitlines()
             if "Traceback" in line or " ERROR " in line or " CRITICAL " in line]
    assert not lines, f"the engine logged {len(lines)} errors, e.g. {lines[:3]}"


@fuzz
@given(text=st.text(max_size=300))
@example(text="")
@example(text="\x00")
@example(text="{")
@example(text="[" * 5000)
@example(text="42")
def test_random_text(fuzz_engine, text):
    """Any text frame is taken as a message or refused, and the socket stays open."""
    assert_answered(fuzz_engine, text)


@fuzz
@given(value=json_values)
@example(value=[])
@example(value={"type": "message", "content": "\ud800"})
@example(value={"type": "message", "content": "ok", "client_message_id": "\x00"})
def test_random_json(fuzz_engine, value):
    """Any JSON frame is taken as a message or refused, and the socket stays open."""
    assert_answered(fuzz_engine, json.dumps(value))


@fuzz
@given(message=messages)
@example(message={"type": "message", "content": "x" * 8001})
@example(message={"type": "message", "content": "hi", "client_message_id": ""})
def test_messages_with_random_fields(fuzz_engine, message):
    """A message object with any fields is taken or refused, and the socket stays open."""
    assert_answered(fuzz_engine, json.dumps(message))


@fuzz
@given(data=st.binary(max_size=100))
def test_binary_frames(fuzz_engine, data):
    """Binary frames are refused, and the socket stays open."""
    assert_answered(fuzz_engine, data)


def test_the_engine_logged_no_error(fuzz_engine):
    """After all the fuzzing (run last in this module), no traceback and no error line."""
    sender, _ = fuzz_engine
    sender.rotate()  # every frame so far answered exactly once
    assert_log_clean(fuzz_engine)
    assert sender.total >= 3 * EXAMPLES_PER_KIND, f"only {sender.total} frames were sent"
    print(f"fuzzing: {sender.total} frames, each answered once, no error logged")
