"""One asyncio event loop for the whole run, on a background thread.

Steps are synchronous; they hand coroutines to this loop with a deadline. Connections and
pools made on the loop live across steps and scenarios.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading


class BackgroundLoop:
    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="suite-loop",
                                        daemon=True)
        self._thread.start()

    def run(self, coroutine, within_s: float, what: str):
        """Run the coroutine on the loop; fail with `what` if it takes over within_s."""
        future = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        try:
            return future.result(timeout=within_s)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise AssertionError(f"{what}: not finished after {within_s} s") from None

    def start(self, coroutine) -> concurrent.futures.Future:
        """Run the coroutine on the loop in the background; cancel() the future to stop it."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop)

    def close(self, within_s: float = 5.0):
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(within_s)
        if not self.loop.is_running():
            self.loop.close()
