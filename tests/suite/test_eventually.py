"""Bounded waits return as soon as the condition holds and say what they last saw."""

import asyncio
import itertools

import pytest

from support.eventually import (WaitTimeout, at_least, equal_to, eventually,
                                eventually_async)


def test_returns_the_first_value_that_meets_the_condition():
    """The wait stops polling once the condition holds."""
    counter = itertools.count()
    assert eventually(lambda: next(counter), at_least(3), within_s=5, what="count") == 3


def test_a_timeout_says_what_was_last_seen():
    """The failure names the thing, its last value, the bound and what was wanted."""
    with pytest.raises(WaitTimeout, match=r"queue depth: still 2999 after 0.2 s "
                                          r"\(wanted at least 3000\)"):
        eventually(lambda: 2999, at_least(3000), within_s=0.2, what="queue depth")


def test_a_probe_error_is_not_hidden():
    """An exception in the probe surfaces as itself, not as a timeout."""
    def broken():
        raise ConnectionError("redis is down")
    with pytest.raises(ConnectionError, match="redis is down"):
        eventually(broken, at_least(1), within_s=1, what="depth")


def test_the_async_form_waits_the_same_way():
    """eventually_async polls a coroutine probe and fails with the same message."""
    async def always_one():
        return [1]
    with pytest.raises(WaitTimeout, match=r"jobs: still \[1\] after 0.2 s \(wanted \[\]\)"):
        asyncio.run(eventually_async(always_one, equal_to([]), within_s=0.2, what="jobs"))


def test_the_async_form_accepts_a_lambda_that_returns_a_coroutine():
    """A probe written as a lambda around a coroutine call is awaited, not compared."""
    values = iter([3, 2, 0])

    async def depth():
        return next(values)
    assert asyncio.run(eventually_async(lambda: depth(), equal_to(0), within_s=5,
                                        what="depth")) == 0
