"""The per-connection rate limit: N frames in any W seconds, then retry_after."""

from __future__ import annotations

import pytest

from app.api.rate_limit import RateLimiter


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_the_last_frame_of_the_window_passes_and_the_next_is_refused():
    """N frames at once pass; frame N+1 is told to wait out the window."""
    clock = Clock()
    limiter = RateLimiter(3, 10, clock)
    assert [limiter.retry_after() for _ in range(3)] == [0, 0, 0]
    assert limiter.retry_after() == 10


def test_retry_after_is_when_the_oldest_frame_leaves_the_window():
    """retry_after rounds up the time until a frame may pass again, and is then right."""
    clock = Clock()
    limiter = RateLimiter(2, 10, clock)
    limiter.retry_after()
    clock.now += 6.5
    limiter.retry_after()
    assert limiter.retry_after() == 4  # 3.5 s left, rounded up
    clock.now += 3.5
    assert limiter.retry_after() == 0


def test_refused_frames_do_not_count():
    """A client that keeps sending while refused is let through once it has waited."""
    clock = Clock()
    limiter = RateLimiter(1, 2, clock)
    limiter.retry_after()
    for _ in range(50):
        clock.now += 0.01
        assert limiter.retry_after() >= 1
    clock.now = 102.0
    assert limiter.retry_after() == 0


@pytest.mark.parametrize("frames, window_s", [(0, 10), (5, 0)])
def test_a_limit_that_lets_nothing_through_is_refused(frames, window_s):
    """A limit of no frames, or of no time, is a configuration mistake."""
    with pytest.raises(ValueError):
        RateLimiter(frames, window_s)
