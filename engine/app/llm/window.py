"""Fitting a conversation into the model's context window (docs/contract.md, section 3, "A
conversation longer than the model's window").

The engine learns the window from the model itself: a request the model refuses with HTTP
400 and error code `context_length_exceeded` is sent again with the oldest turn left out,
until the model takes it. The newest message is always sent whole; a leading system message
always stays. When even the newest message alone is refused, TooLongForModel says so.

A turn is one user message with the replies that follow it. Leaving out one turn at a time
costs a refused request per turn, so when the refusal states the window and the request's
size as OpenAI words it ("maximum context length is W tokens ... resulted in N tokens") and
N is what this module counts for the request (4 characters a token, rounded up per
message), the turns that cannot fit are left out at once: the count is then the model's own.
"""

from __future__ import annotations

import math
import re
from typing import Awaitable, Callable, Sequence

from openai import APIStatusError

CONTEXT_REFUSAL = "context_length_exceeded"
_STATED = re.compile(r"maximum context length is (\d+) tokens.*?resulted in (\d+) tokens", re.S)

Send = Callable[[list[dict]], Awaitable[None]]


class TooLongForModel(Exception):
    """The newest message does not fit in the model's window even alone."""


def is_context_refusal(error: BaseException) -> bool:
    return (isinstance(error, APIStatusError) and error.status_code == 400
            and getattr(error, "code", None) == CONTEXT_REFUSAL)


def estimate(messages: Sequence[dict]) -> int:
    """Tokens, counted as 4 characters a token, rounded up per message."""
    return sum(math.ceil(len(str(message.get("content") or "")) / 4) for message in messages)


def stated_limits(error: APIStatusError) -> tuple[int, int] | None:
    """(window, size of the refused request) when the refusal states them, else None."""
    body = error.body if isinstance(error.body, dict) else {}
    found = _STATED.search(str(body.get("message") or error.message or ""))
    return (int(found.group(1)), int(found.group(2))) if found else None


def turns_of(history: Sequence[dict]) -> list[list[dict]]:
    """The earlier messages grouped into turns: a user message and what follows it (replies
    before any user message make a turn of their own)."""
    turns: list[list[dict]] = []
    for message in history:
        if message.get("role") == "user" or not turns:
            turns.append([])
        turns[-1].append(message)
    return turns


async def send_within_window(send: Send, leading: list[dict], history: Sequence[dict]) -> None:
    """Send the leading messages, the newest earlier turns that the model takes, and the
    newest message (history[-1]), all whole and in order."""
    *earlier, newest = history
    turns = turns_of(earlier)
    kept = len(turns)

    def request(count: int) -> list[dict]:
        newer = turns[len(turns) - count:] if count else []
        return [*leading, *(message for turn in newer for message in turn), newest]
    while True:
        messages = request(kept)
        try:
            return await send(messages)
        except APIStatusError as error:
            if not is_context_refusal(error):
                raise
            if kept == 0:
                raise TooLongForModel(f"the newest message alone is refused: {error}") from error
            kept = fewer_turns(kept, stated_limits(error), messages, request)


def fewer_turns(kept: int, limits: tuple[int, int] | None, refused: list[dict],
                request: Callable[[int], list[dict]]) -> int:
    """How many turns to try next: one fewer, or, when the model counts as we do, at once as
    many fewer as its stated window needs."""
    fewer = kept - 1
    if limits is None or limits[1] != estimate(refused):
        return fewer
    window = limits[0]
    while fewer > 0 and estimate(request(fewer)) > window:
        fewer -= 1
    return fewer
