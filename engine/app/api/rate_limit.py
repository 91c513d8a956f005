"""The per-connection rate limit (contract, section 6): at most N frames in any W seconds."""

from __future__ import annotations

import math
import time
from collections import deque
from typing import Callable


class RateLimiter:
    """A sliding window over the times of the frames let through.

    A refused frame does not count, so a client that waits as long as it is told always
    gets through. A window rather than a refilling bucket: the limit a client sees does not
    depend on how fast the engine happens to be handling its earlier frames.
    """

    def __init__(self, frames: int, window_s: float, clock: Callable[[], float] = time.monotonic):
        if frames < 1 or window_s <= 0:
            raise ValueError("a rate limit needs at least 1 frame in a window longer than 0 s")
        self.frames = frames
        self.window_s = window_s
        self.clock = clock
        self._passed: deque[float] = deque()

    def retry_after(self) -> int:
        """0 if this frame may go (it is then counted), else whole seconds to wait (>= 1)."""
        now = self.clock()
        while self._passed and now - self._passed[0] >= self.window_s:
            self._passed.popleft()
        if len(self._passed) < self.frames:
            self._passed.append(now)
            return 0
        return max(1, math.ceil(self.window_s - (now - self._passed[0])))
