"""One reader per API process for every result stream it relays.

Each relayed job used to hold a Redis connection in its own blocking XREAD. Here one task
reads all of them with a single XREAD per round (`XREAD BLOCK ... STREAMS k1 k2 ... id1 id2
...`) and hands the entries to the relays that subscribed, so the process holds one reading
connection however many jobs are in flight.

A subscription reads its stream from the start, so a reply written before the relay
subscribed is still delivered whole. A stream subscribed while the read is blocked would
wait for the block to end; the reader is woken by an entry on its own wake stream instead,
at most once a round and no more often than WAKE_MIN_INTERVAL_S, so a flood of new
subscriptions does not turn into a flood of rounds (each round names every stream).

While Redis is unreachable the reader retries every RETRY_PAUSE_S; subscriptions that have
waited through more than FAILURES_BEFORE_GIVING_UP failed rounds get the error, so their
relays can tell the client instead of waiting in silence.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time
import uuid

import redis.asyncio as redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from app.core.outages import ServerUnreachable

log = logging.getLogger("grizz.api")

BLOCK_MS = 5_000
COUNT_PER_STREAM = 100
WAKE_MIN_INTERVAL_S = 0.02
# Rounds start at most this often: while pieces flow, a round returns as soon as any stream
# has one, and each round names every stream; a short pause lets a round carry many.
MIN_ROUND_INTERVAL_S = 0.002
WAKE_STREAM_TTL_S = 3_600
RETRY_PAUSE_S = 1.0
# About 15 s of outage (with the pause above) before a relay gives up on its reply.
FAILURES_BEFORE_GIVING_UP = 15


class ReaderUnavailable(ServerUnreachable):
    """Redis could not be read for too long; the subscription ends with this error."""


class Subscription:
    """The entries of one result stream, in order, for one relay."""

    def __init__(self, reader: ResultReader, key: str) -> None:
        self.key = key
        self._reader = reader
        self._entries: collections.deque[tuple[str, dict]] = collections.deque()
        self._arrived = asyncio.Event()
        self._error: BaseException | None = None
        self.last_id = "0"  # the last entry handed over; later copies of it are skipped
        self.failed_rounds = 0

    def _put(self, entries: list[tuple[str, dict]], front: bool = False) -> None:
        if front:
            self._entries.extendleft(reversed(entries))
        else:
            self._entries.extend(entries)
        self._arrived.set()

    def _fail(self, error: BaseException) -> None:
        self._error = error
        self._arrived.set()

    async def next(self) -> dict:
        """The next entry's fields; raises ReaderUnavailable when Redis stayed unreachable."""
        while True:
            while self._entries:
                entry_id, fields = self._entries.popleft()
                if _after(entry_id, self.last_id):
                    self.last_id = entry_id
                    return fields
            if self._error is not None:
                raise self._error
            self._arrived.clear()
            await self._arrived.wait()

    def close(self) -> None:
        self._reader._unsubscribe(self)


def _after(entry_id: str, other: str) -> bool:
    """Stream ids compare as (milliseconds, sequence)."""
    def parts(value: str) -> tuple[int, int]:
        ms, _, seq = value.partition("-")
        return int(ms), int(seq or 0)
    return parts(entry_id) > parts(other)


class _Feed:
    """One stream being read: its cursor and the subscriptions it feeds."""

    def __init__(self) -> None:
        self.cursor = "0"
        self.subscriptions: list[Subscription] = []


class ResultReader:
    def __init__(self, r: redis.Redis) -> None:
        self._r = r
        self._feeds: dict[str, _Feed] = {}
        self._wake_key = f"llm_api:wake:{uuid.uuid4()}"
        self._wake_cursor = "0"
        self._new_feed = asyncio.Event()
        self._reading: set[str] = set()  # the streams named by the read in flight
        self._wake_sent = False
        self._round_started = 0.0
        self._task: asyncio.Task | None = None
        self.failed_rounds = 0  # in a row, for the log and the tests
        self._stopping = False

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="result-reader")

    async def stop(self) -> None:
        # A flag as well as the cancel: a blocking read may swallow the cancellation and
        # return as if its block had ended.
        self._stopping = True
        self._new_feed.set()
        if self._task is not None:
            self._task.cancel()
            await asyncio.wait({self._task}, timeout=BLOCK_MS / 1000 + 1)
        try:
            await self._r.delete(self._wake_key)
        except redis.RedisError:
            pass

    @property
    def streams(self) -> int:
        return len(self._feeds)

    async def subscribe(self, key: str) -> Subscription:
        """Follow `key` from its first entry."""
        subscription = Subscription(self, key)
        feed = self._feeds.get(key)
        if feed is None:
            self._feeds[key] = feed = _Feed()
            feed.subscriptions.append(subscription)
            self._new_feed.set()
            self._wake_if_blocked(key)
            return subscription
        # Another relay already follows this stream (the same message sent again). The
        # feed goes on from its cursor; what came before is read once, for this one.
        feed.subscriptions.append(subscription)
        if feed.cursor != "0":
            backlog = await self._r.xrange(key, "-", feed.cursor)
            subscription._put(backlog, front=True)
        return subscription

    def _unsubscribe(self, subscription: Subscription) -> None:
        feed = self._feeds.get(subscription.key)
        if feed is None or subscription not in feed.subscriptions:
            return
        feed.subscriptions.remove(subscription)
        if not feed.subscriptions:
            del self._feeds[subscription.key]

    # -- the reading loop ---------------------------------------------------------------

    async def _run(self) -> None:
        while not self._stopping:
            if not self._feeds:
                self._new_feed.clear()
                await self._new_feed.wait()
                continue
            try:
                reply = await self._read_round()
            except (RedisConnectionError, RedisTimeoutError, redis.ResponseError) as error:
                self.failed_rounds += 1
                log.warning("result reader: redis read failed (%s); retrying in %ss",
                            error, RETRY_PAUSE_S)
                self._count_failed_round(error)
                await asyncio.sleep(RETRY_PAUSE_S)
                continue
            finally:
                self._reading = set()
            if self.failed_rounds:
                log.info("result reader: redis answers again after %s failed round(s)",
                         self.failed_rounds)
                self.failed_rounds = 0
            self._dispatch(reply)

    async def _read_round(self):
        pause = self._round_started + MIN_ROUND_INTERVAL_S - time.monotonic()
        if pause > 0:
            await asyncio.sleep(pause)
        self._wake_sent = False
        self._round_started = time.monotonic()
        streams = {key: feed.cursor for key, feed in self._feeds.items()}
        streams[self._wake_key] = self._wake_cursor
        self._reading = set(streams)
        return await self._r.xread(streams, block=BLOCK_MS, count=COUNT_PER_STREAM)

    def _dispatch(self, reply) -> None:
        for key, entries in reply:
            if not entries:
                continue
            if key == self._wake_key:
                self._wake_cursor = entries[-1][0]
                continue
            feed = self._feeds.get(key)
            if feed is None:
                continue  # every relay of it has gone
            feed.cursor = entries[-1][0]
            for subscription in feed.subscriptions:
                subscription.failed_rounds = 0
                subscription._put(entries)

    def _count_failed_round(self, error: BaseException) -> None:
        for feed in list(self._feeds.values()):
            for subscription in list(feed.subscriptions):
                subscription.failed_rounds += 1
                if subscription.failed_rounds > FAILURES_BEFORE_GIVING_UP:
                    subscription._fail(ReaderUnavailable(f"redis unreadable: {error}"))

    # -- waking a blocked read ----------------------------------------------------------

    def _wake_if_blocked(self, key: str) -> None:
        if not self._reading or key in self._reading or self._wake_sent:
            return
        self._wake_sent = True
        delay = max(0.0, self._round_started + WAKE_MIN_INTERVAL_S - time.monotonic())
        asyncio.get_running_loop().call_later(delay, self._send_wake)

    def _send_wake(self) -> None:
        if self._reading:
            task = asyncio.create_task(self._wake())
            task.add_done_callback(_log_wake_failure)

    async def _wake(self) -> None:
        async with self._r.pipeline(transaction=False) as pipe:
            pipe.xadd(self._wake_key, {"wake": "1"}, maxlen=1, approximate=False)
            pipe.expire(self._wake_key, WAKE_STREAM_TTL_S)
            await pipe.execute()


def _log_wake_failure(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception() is not None:
        # The read still ends within BLOCK_MS and then names the new stream.
        log.warning("result reader: could not wake the read: %s", task.exception())
