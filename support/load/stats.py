"""What a load run measured: one record per message, and HDR histograms of its latencies.

    stats = LoadStats()
    stats.record("reply", seconds)      # ack, first_piece, gap or reply
    stats.percentiles("reply")          # {"count", "p50", "p95", "p99", "max"} in ms
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from hdrh.histogram import HdrHistogram

# What each latency measures, from the moment the message was due to go out (open-loop) or
# went out (closed-loop), except the gap, which is between two pieces of one reply.
LATENCIES = {
    "ack": "message taken (ack)",
    "first_piece": "first piece of the reply",
    "gap": "gap between pieces",
    "reply": "whole reply (done)",
}
LOWEST_US, HIGHEST_US, SIGNIFICANT_FIGURES = 1, 3_600_000_000, 3  # 1 us to 1 h, 0.1 %

# What the socket alone showed of a message, for progress lines and the bench. These are
# not verdicts: the ledger (support/probes/ledger.py) judges each message across the socket, Redis
# and PostgreSQL, and its classes are the only ones a scenario asserts on.
ENDINGS = ("done", "error_after_ack", "error_before_ack", "ack_only", "nothing")


@dataclass(eq=False)
class Message:
    """One message's life; times are time.perf_counter() seconds."""
    caller: str
    client_message_id: str
    due_at: float  # when it was meant to go out: latencies count from here
    sent_at: float | None = None
    job_id: str | None = None
    ack_at: float | None = None
    first_piece_at: float | None = None
    last_piece_at: float | None = None
    done_at: float | None = None
    error_at: float | None = None
    error_code: str | None = None
    attempt: int = 0
    pieces: int = 0
    dones: int = 0  # more than one is a duplicate answer
    taken: asyncio.Event = field(default_factory=asyncio.Event)  # set on its ack or error
    gone: asyncio.Event = field(default_factory=asyncio.Event)  # set when done or failed

    @property
    def ending(self) -> str:
        """The last thing the socket showed of it (one of ENDINGS)."""
        if self.done_at is not None:
            return "done"
        if self.error_code is not None:
            return "error_after_ack" if self.ack_at is not None else "error_before_ack"
        if self.ack_at is not None:
            return "ack_only"  # acknowledged, and no done nor error when the run ended
        return "nothing"

    def ms(self, at: float | None) -> float | None:
        return None if at is None else round((at - self.due_at) * 1000, 3)


class LoadStats:
    def __init__(self):
        self.histograms = {name: HdrHistogram(LOWEST_US, HIGHEST_US, SIGNIFICANT_FIGURES)
                           for name in LATENCIES}

    def record(self, latency: str, seconds: float):
        self.histograms[latency].record_value(max(LOWEST_US, min(HIGHEST_US,
                                                                 int(seconds * 1e6))))

    def count(self, latency: str) -> int:
        return self.histograms[latency].get_total_count()

    def percentile_ms(self, latency: str, percentile: float) -> float | None:
        histogram = self.histograms[latency]
        if not histogram.get_total_count():
            return None
        return histogram.get_value_at_percentile(percentile) / 1000

    def percentiles(self, latency: str) -> dict:
        histogram = self.histograms[latency]
        figures = {"count": histogram.get_total_count()}
        for name, percentile in (("p50", 50), ("p95", 95), ("p99", 99)):
            figures[name] = self.percentile_ms(latency, percentile)
        figures["max"] = histogram.get_max_value() / 1000 if figures["count"] else None
        return figures

    def distribution(self, latency: str) -> list[tuple[float, float]]:
        """(percentile, ms) pairs of the whole distribution, for a plot."""
        histogram = self.histograms[latency]
        if not histogram.get_total_count():
            return []
        return [(item.percentile_level_iterated_to, item.value_iterated_to / 1000)
                for item in histogram.get_percentile_iterator(5)]


def ending_counts(messages: list[Message]) -> dict[str, int]:
    counts = dict.fromkeys(ENDINGS, 0)
    for message in messages:
        counts[message.ending] += 1
    return counts


def fmt_ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}" if value >= 100 else f"{value:.1f}"
