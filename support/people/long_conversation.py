"""A conversation longer than the model's context window (docs/contract.md, section 3): what
a person says to outgrow it, and what the model must have been given then.

    outgrow_window(person, window)                 # chat on until her turns outgrow it
    request = answered_request(model_requests, person)
    assert_newest_turns_that_fit(request, person, window)
    assert_only_oldest_left_out(request, person)

A turn is one of her messages and the reply to it. The size of a request or a turn is
counted as the scriptable model counts it (support/model/window.py), so "fits" means what
the model accepted, whatever the engine adds of its own (a system message).
"""

from __future__ import annotations

from support.model.sent import requests_about, turns
from support.model.window import tokens_in, turn_tokens

# What she says to fill the window: long enough that a few turns outgrow it, short enough
# that many turns fit in the 200-token window of the scenarios.
FILLER = "Let me tell you more about my day, part {n}: it was a good one."
TOO_LONG_STORY = "This is a very long story about everything that happened on my trip. "


def outgrow_window(person, window: int) -> int:
    """She says filler messages, each answered, until the turns she had since she started
    them hold more than `window` tokens: nothing she said before then fits with them.
    Returns how many she said."""
    size, said = 0, 0
    while size <= window:
        said += 1
        text = FILLER.format(n=said)
        reply = person.ask(text)
        assert reply.done is not None, f"no answer to {text!r}: {reply.describe()}"
        size += turn_tokens(text, reply.content)
    return said


def too_long_alone(window: int) -> str:
    """A message that holds more than `window` tokens on its own (and well inside the
    contract's 8000 characters)."""
    story = (TOO_LONG_STORY * (1 + window * 4 // len(TOO_LONG_STORY))).strip()
    assert turn_tokens(story) > window and len(story) <= 8000, len(story)
    return story


def conversation(person) -> list[dict]:
    """Her conversation as the model is given it: each message of hers followed by its reply,
    up to and including her last message (whose reply the model was asked to write)."""
    messages = []
    for text, reply in person.exchanges_here():
        messages.append({"role": "user", "content": text})
        if reply.done is not None:
            messages.append({"role": "assistant", "content": reply.content})
    if messages[-1]["role"] == "assistant":
        messages.pop()
    return messages


def answered_request(requests: list[dict], person) -> dict:
    """The request the model answered with the reply she was last shown."""
    question, reply = person.exchanges_here()[-1]
    answered = [request for request in requests_about(requests, question)
                if request.get("status") == 200 and request.get("reply") == reply.content]
    assert answered, (f"the model never answered {question!r} with {reply.content!r}; it was "
                      f"asked it {len(requests_about(requests, question))} times")
    return answered[-1]


def _split(request: dict, person) -> tuple[list[dict], list[dict]]:
    """(what of her conversation was left out, what was given), checking that what was
    given is her newest messages, whole and in order."""
    everything = conversation(person)
    given = turns(request)
    left_out = everything[:len(everything) - len(given)]
    assert given and given == everything[len(left_out):], (
        f"the model was given {given}; her newest messages were "
        f"{everything[len(everything) - len(given):]}")
    assert given[0]["role"] == "user", f"the model was given half a turn first: {given[0]}"
    return left_out, given


def assert_newest_turns_that_fit(request: dict, person, window: int):
    """The model was given her newest turns, whole and in order; they fit in its window;
    the next older turn would not have."""
    left_out, _ = _split(request, person)
    size = tokens_in(request["messages"])
    assert size <= window, f"the model was given {size} tokens, its window holds {window}"
    if left_out:
        starts = max(i for i, message in enumerate(left_out) if message["role"] == "user")
        next_older = turn_tokens(*(message["content"] for message in left_out[starts:]))
        assert size + next_older > window, (
            f"the model was given {size} tokens; her next older turn ({next_older} tokens) "
            f"would have fit in its {window} too: {left_out[starts:]}")


def assert_only_oldest_left_out(request: dict, person, first_words: str):
    """Something was left out, and it is her oldest turns, from the first, which said
    `first_words`; every later turn was given."""
    left_out, _ = _split(request, person)
    assert left_out, "nothing was left out: the model was given her whole conversation"
    assert left_out[0] == {"role": "user", "content": first_words}, (
        f"what was left out starts with {left_out[0]}, not her first message {first_words!r}")


def opening(request: dict) -> list[dict]:
    """The system messages a request begins with, as the engine wrote them."""
    messages = request.get("messages") or []
    first_other = next((i for i, m in enumerate(messages) if m.get("role") != "system"),
                       len(messages))
    return messages[:first_other]


def first_answered(requests: list[dict], person) -> dict:
    """The request the model answered for her first message of this conversation."""
    first = person.exchanges_here()[0][0]
    answered = [request for request in requests_about(requests, first)
                if request.get("status") == 200]
    assert answered, f"the model never answered her first message {first!r}"
    return answered[0]
