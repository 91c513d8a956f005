"""The load driver: many people chatting with the engine at once, on the suite's event loop.

Two kinds of load, as LLM-serving benchmarks tell them apart:

- closed-loop (`chat`): each person sends, waits for the whole reply, pauses, and sends
  again, so a slow engine slows the load down with it;
- open-loop (`arrivals`): messages go out on a schedule (Poisson arrivals at a constant
  rate) whether or not earlier replies have come, and each latency counts from the moment
  its message was due, so a slow engine cannot hide its own latency (coordinated omission).

    run = LoadRun("100 people", endpoints.engine_url, endpoints.jwt_secret, queue=probe)
    people = await run.connect(100, over_s=5)       # ramp, bounded by CONNECT_WITHIN_S
    await run.chat(people, turns=5, pause_s=(1, 3)) # closed-loop
    await run.arrivals(people, rate_per_s=20, duration_s=15)  # open-loop
    await run.finish(drain_s=60)
    run.ledger = await account(suite, run.sent(), [])  # while the connections are open
    await run.close()

Every loop is bounded in count and in time. A progress line is printed while it runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time

from support.console import say
from support.probes.ledger import Ledger
from support.probes.ledger_judge import Sent
from support.load.caller import Caller
from support.load.pace import MESSAGE_TEXT
from support.load.stats import LoadStats, Message, ending_counts, fmt_ms
from support.chat.transcript import Transcript

CONNECT_WITHIN_S = 30  # default bound for one connection to open
# Default bound a closed-loop person waits for one reply before she goes on; a reply that
# comes later is still timed, and finish() still waits for it.
REPLY_WITHIN_S = 30
MAX_RUN_S = 3600  # no run is longer: bounds the watch on each connection
MAX_TURNS = 10_000  # a closed-loop person's bound when only a duration is given
QUEUE_SAMPLE_S = 0.2  # how often the queue depth is read while the run goes on
STOP_WITHIN_S = 10  # bound for hanging up, and for the progress and queue watchers to stop


class LoadRun:
    def __init__(self, label: str, engine_url: str, jwt_secret: str, queue=None,
                 progress_every_s: float = 5.0,  # default: a progress line every 5 s
                 seed: int = 7):  # pauses and arrivals are random, but the same every run
        self.label = label
        self.engine_url, self.jwt_secret, self.queue = engine_url, jwt_secret, queue
        self.progress_every_s = progress_every_s
        self.random = random.Random(seed)
        self.stats = LoadStats()
        self.transcript = Transcript()
        self.callers: list[Caller] = []
        self.messages: list[Message] = []
        self.depths: list[tuple[float, int]] = []  # (s since start, queue depth)
        self.started = time.perf_counter()
        self.ended: float | None = None
        self.schedule_lag_s = 0.0  # how late the driver itself sent an open-loop message
        self.ledger: Ledger | None = None  # what became of each message, once it is taken
        self._watchers: list[asyncio.Task] = []
        self._closings: list[asyncio.Task] = []  # one per connection, until it closes

    # -- people ---------------------------------------------------------------------------

    async def connect(self, people: int, over_s: float = 0.0,
                      within_s: float = CONNECT_WITHIN_S) -> list[Caller]:
        """`people` new people connect, spread evenly over `over_s` seconds (0: at once)."""
        self._watch()
        first = len(self.callers) + 1
        callers = [Caller(f"Person {n}", self.engine_url, self.jwt_secret, self.transcript,
                          self.stats) for n in range(first, first + people)]
        self.callers += callers
        begin = time.perf_counter()

        async def one(index: int, caller: Caller):
            await asyncio.sleep(max(0.0, begin + index * over_s / people - time.perf_counter()))
            await caller.connect(within_s)
        await asyncio.gather(*(one(index, caller) for index, caller in enumerate(callers)))
        connected = [caller for caller in callers if caller.connected]
        self._closings += [asyncio.ensure_future(self._on_close(caller)) for caller in connected]
        return connected

    # -- closed-loop ----------------------------------------------------------------------

    async def chat(self, callers: list[Caller], turns: int | None = None,
                   duration_s: float | None = None, pause_s: tuple[float, float] = (0, 0),
                   reply_within_s: float = REPLY_WITHIN_S):
        """Each person sends, waits for the whole reply, pauses, and sends again: `turns`
        times, or until `duration_s` has passed (whichever comes first)."""
        assert turns or duration_s, "a closed-loop run needs turns or a duration"
        self._watch()
        stop_at = time.perf_counter() + (duration_s or float("inf"))
        most = turns or MAX_TURNS

        async def person(caller: Caller):
            for turn in range(1, most + 1):
                if time.perf_counter() >= stop_at or caller.connection.close_code is not None:
                    return
                message = await self._send(caller, turn, time.perf_counter())
                await self._settle(message, reply_within_s)
                pause = self.random.uniform(*pause_s)
                if pause and turn < most:
                    await asyncio.sleep(pause)
        await asyncio.gather(*(person(caller) for caller in callers))

    # -- open-loop ------------------------------------------------------------------------

    async def arrivals(self, callers: list[Caller], rate_per_s: float, duration_s: float):
        """Messages arrive at `rate_per_s` on average (Poisson), each from a person drawn at
        random, for `duration_s`; none waits for an earlier reply."""
        assert callers, "an open-loop run needs people to send from"
        self._watch()
        begin = time.perf_counter()
        due, schedule = 0.0, []
        while len(schedule) < int(rate_per_s * duration_s * 3) + 10:  # bounded
            due += self.random.expovariate(rate_per_s)
            if due >= duration_s:
                break
            schedule.append((begin + due, self.random.choice(callers)))
        sending = []
        for turn, (due_at, caller) in enumerate(schedule, start=1):
            await asyncio.sleep(max(0.0, due_at - time.perf_counter()))
            self.schedule_lag_s = max(self.schedule_lag_s, time.perf_counter() - due_at)
            # Sent even on a closed connection: the message then counts as not taken.
            sending.append(asyncio.ensure_future(self._send(caller, turn, due_at)))
        await asyncio.gather(*sending)

    async def flood(self, callers: list[Caller], each: int, within_s: float):
        """Each person sends `each` messages back to back, waiting for nothing; then wait up
        to `within_s` until every one is taken or turned away (not for the replies)."""
        self._watch()

        async def person(caller: Caller):
            for turn in range(1, each + 1):
                if caller.connection.close_code is not None:
                    return
                await self._send(caller, turn, time.perf_counter())
        await asyncio.gather(*(person(caller) for caller in callers))
        waiting = [asyncio.ensure_future(m.taken.wait()) for m in self.messages
                   if not m.taken.is_set()]
        if waiting:
            await asyncio.wait(waiting, timeout=within_s)
            for task in waiting:
                task.cancel()

    # -- ending ---------------------------------------------------------------------------

    async def finish(self, drain_s: float):
        """Wait up to `drain_s` for every message still in flight to be done or failed."""
        waiting = [message for message in self.messages if not message.gone.is_set()]
        if waiting:
            await asyncio.wait([asyncio.ensure_future(m.gone.wait()) for m in waiting],
                               timeout=drain_s)
        self.ended = time.perf_counter()
        for watcher in self._watchers:
            watcher.cancel()
        if self._watchers:
            await asyncio.wait(self._watchers, timeout=STOP_WITHIN_S)
        self._watchers = []
        for caller in self.callers:  # stop waiters of what never came
            caller.give_up_waiting()

    async def close(self):
        """Hang up every connection; one whose engine does not answer the close is cut."""
        for watcher in self._watchers + self._closings:
            watcher.cancel()
        closing = [asyncio.ensure_future(caller.close(STOP_WITHIN_S)) for caller in self.callers]
        if closing:
            await asyncio.wait(closing, timeout=2 * STOP_WITHIN_S)

    # -- what it saw ----------------------------------------------------------------------

    @property
    def elapsed_s(self) -> float:
        return (self.ended or time.perf_counter()) - self.started

    def endings(self) -> dict[str, int]:
        """What the socket alone showed of each message (not a verdict: see the ledger)."""
        return ending_counts(self.messages)

    def sent(self) -> list[Sent]:
        """Every message of the run, with the connection that sent it, for the ledger."""
        return [Sent.of(caller.conversation_id, message.client_message_id, caller.connection)
                for caller in self.callers for message in caller.messages]

    def replies_per_s(self) -> float:
        """Replies answered a second, from the first message due to the last reply done."""
        done = [m.done_at for m in self.messages if m.done_at is not None]
        if not done:
            return 0.0
        return len(done) / max(max(done) - min(m.due_at for m in self.messages), 1e-3)

    def peak_depth(self) -> int | None:
        return max((depth for _, depth in self.depths), default=None)

    def progress_line(self) -> str:
        counts = self.endings()
        in_flight = sum(not message.gone.is_set() for message in self.messages)
        depth = self.depths[-1][1] if self.depths else "not sampled"
        return (f"{self.label}: {self.elapsed_s:5.0f} s, {len(self.messages)} sent, "
                f"{counts['done']} done, {in_flight} in flight, "
                f"{len(self.messages) - counts['done'] - in_flight} ended otherwise, "
                f"reply p95 {fmt_ms(self.stats.percentile_ms('reply', 95))} ms, "
                f"queue {depth}")

    # -- inside ---------------------------------------------------------------------------

    async def _send(self, caller: Caller, turn: int, due_at: float) -> Message:
        message = await caller.send(f"{MESSAGE_TEXT}, message {turn}", due_at)
        self.messages.append(message)
        return message

    @staticmethod
    async def _settle(message: Message, within_s: float):
        """Wait until the message is done or failed (or its connection closes: _on_close),
        or time is up."""
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(message.gone.wait(), within_s)

    @staticmethod
    async def _on_close(caller: Caller):
        """When a connection closes, nothing more comes for its messages: stop waiting."""
        with contextlib.suppress(AssertionError):  # still open when the run ends: fine
            await caller.connection.wait_closed(MAX_RUN_S)
        caller.give_up_waiting()

    def _watch(self):
        if not self._watchers:
            self._watchers = [asyncio.ensure_future(self._progress())]
            if self.queue is not None:
                self._watchers.append(asyncio.ensure_future(self._sample_depth()))

    async def _progress(self):
        while True:  # cancelled by finish()
            await asyncio.sleep(self.progress_every_s)
            say(self.progress_line())

    async def _sample_depth(self):
        while True:  # cancelled by finish()
            with contextlib.suppress(Exception):  # a missed sample is not a result
                self.depths.append((time.perf_counter() - self.started,
                                    await self.queue.depth()))
            await asyncio.sleep(QUEUE_SAMPLE_S)

