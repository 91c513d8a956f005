"""The scriptable model's context window: how it counts a request, and how it refuses one
that is too long, as OpenAI does.

    tokens_in(messages)               # the size of a request, in tokens
    turn_tokens("Hi", "Hello!")       # the size of one turn, a message and its reply
    too_long(messages, window=200)    # the refusal to send, or None when it fits

The rule (docs/contract.md, section 3, "A conversation longer than the model's window"):
every message of a request, system messages included, costs one token per 4 characters of
its text, rounded up (`ceil(len(text) / 4)`, characters as Unicode code points; a message
with no text costs 0). A request fits when the sum is at most the window. The reply the
model will write is not counted: the window bounds what the model is given.

No tokenizer data can be downloaded here, and 4 characters a token is the rule of thumb
OpenAI gives for English text.
"""

from __future__ import annotations

import math
from typing import Any

from support.model.sent import text_of

CHARACTERS_PER_TOKEN = 4
REFUSAL_CODE = "context_length_exceeded"


def text_tokens(text: str) -> int:
    """The tokens of one message's text."""
    return math.ceil(len(text) / CHARACTERS_PER_TOKEN)


def tokens_in(messages: list[dict[str, Any]]) -> int:
    """The size of a request: the tokens of every message's text, summed."""
    return sum(text_tokens(text_of(message)) for message in messages)


def turn_tokens(*texts: str) -> int:
    """The size of some messages given by their texts (a turn: her message and its reply)."""
    return sum(text_tokens(text) for text in texts)


def too_long(messages: list[dict[str, Any]], window: int | None) -> dict[str, Any] | None:
    """The OpenAI error body for a request longer than the window, or None when it fits (or
    the model has no window)."""
    size = tokens_in(messages)
    if window is None or size <= window:
        return None
    return {"error": {
        "message": (f"This model's maximum context length is {window} tokens. However, your "
                    f"messages resulted in {size} tokens. Please reduce the length of the "
                    "messages."),
        "type": "invalid_request_error",
        "param": "messages",
        "code": REFUSAL_CODE,
    }}
