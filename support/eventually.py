"""Bounded waits for a condition, never for a time.

    eventually(queue.depth, until=at_least(3000), within_s=5, what="queue depth")

fails as `queue depth: still 2999 after 5.0 s (wanted at least 3000)`.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from tenacity import (AsyncRetrying, RetryError, Retrying, retry_if_result,
                      stop_after_delay, wait_fixed)


@dataclass(frozen=True)
class Condition:
    """A check on a probed value, with the words that describe it in a failure."""
    test: Callable[[Any], bool]
    wanted: str

    def __call__(self, value) -> bool:
        return self.test(value)


def at_least(n) -> Condition:
    return Condition(lambda value: value >= n, f"at least {n}")


def equal_to(expected) -> Condition:
    return Condition(lambda value: value == expected, f"{expected!r}")


def present(wanted: str) -> Condition:
    return Condition(lambda value: value is not None, wanted)


def truthy(wanted: str) -> Condition:
    return Condition(bool, wanted)


class WaitTimeout(AssertionError):
    """A bounded wait ran out; the message says what was last seen."""


def _failure(what: str, last, within_s: float, until: Condition) -> WaitTimeout:
    return WaitTimeout(f"{what}: still {last!r} after {within_s} s (wanted {until.wanted})")


def eventually(probe: Callable[[], Any], until: Condition, within_s: float, what: str,
               interval_s: float = 0.05):
    """Call probe until its value meets the condition; return that value."""
    retrying = Retrying(stop=stop_after_delay(within_s), wait=wait_fixed(interval_s),
                        retry=retry_if_result(lambda value: not until(value)))
    try:
        return retrying(probe)
    except RetryError as gave_up:
        raise _failure(what, gave_up.last_attempt.result(), within_s, until) from None


def wait_until_moment(moment: float, what: str, clock: Callable[[], float] = time.monotonic,
                      interval_s: float = 0.01):
    """A bounded wait until the clock reaches the moment: the clock is the condition, and the
    wait gives up 5 s after the moment, saying what the clock last read."""
    eventually(clock, Condition(lambda now: now >= moment, what),
               within_s=max(0.0, moment - clock()) + 5, what="the clock", interval_s=interval_s)


async def eventually_async(probe: Callable[[], Awaitable[Any]], until: Condition,
                           within_s: float, what: str, interval_s: float = 0.05):
    """The same as eventually(), for a coroutine probe on the suite's event loop."""
    retrying = AsyncRetrying(stop=stop_after_delay(within_s), wait=wait_fixed(interval_s),
                             retry=retry_if_result(lambda value: not until(value)))

    async def attempt():  # tenacity awaits only coroutine functions, not lambdas
        return await probe()
    try:
        return await retrying(attempt)
    except RetryError as gave_up:
        raise _failure(what, gave_up.last_attempt.result(), within_s, until) from None


class Deadline:
    """The time left of one bound, shared by the several waits that make up one step."""

    def __init__(self, within_s: float):
        self.within_s = within_s
        self._ends = time.monotonic() + within_s

    def left(self) -> float:
        return max(0.0, self._ends - time.monotonic())

    async def wait_for(self, awaitable, what: str):
        try:
            return await asyncio.wait_for(awaitable, self.left())
        except asyncio.TimeoutError:
            raise WaitTimeout(f"{what}: nothing after {self.within_s} s") from None
