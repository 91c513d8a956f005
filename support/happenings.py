"""What the suite did to the engine's processes and servers during one scenario, and when:
a worker killed, the workers paused, Redis down, the network slowed. The scenario's timeline
(support/report/timeline_events.py) draws them beside what each person saw.

    happenings = suite.happenings          # one for the run, begun again at each scenario
    happenings.mark("worker 4711", "killed", "SIGKILL")
    happenings.begin("redis", "down"); ...; happenings.end("redis", "down")

A kind is one of support/report/timeline.py's KINDS. Times are time.monotonic(); a span still
open when the scenario ends is drawn up to its end. Recording never raises: an event missed
costs a line of the picture, never a scenario.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

MOST_EVENTS = 10_000  # a scenario that loops over faults still keeps its first ones


@dataclass
class Happening:
    lane: str
    kind: str
    label: str
    started: float  # time.monotonic()
    ended: float | None = None  # None: an instant, or a span still open


class Happenings:
    def __init__(self):
        self._lock = threading.Lock()  # steps record from their thread, the loop from its own
        self.events: list[Happening] = []
        self.transcripts: list = []  # connections not the cast's (a load run's), to draw too
        self.began = time.monotonic()

    def begin_scenario(self):
        with self._lock:
            self.events, self.transcripts, self.began = [], [], time.monotonic()

    def mark(self, lane: str, kind: str, label: str = ""):
        now = time.monotonic()
        self._add(Happening(lane, kind, label, now, now))

    def begin(self, lane: str, kind: str, label: str = ""):
        self._add(Happening(lane, kind, label, time.monotonic()))

    def end(self, lane: str, kind: str):
        """Close the latest open span of this lane and kind; nothing if none is open."""
        with self._lock:
            for event in reversed(self.events):
                if event.lane == lane and event.kind == kind and event.ended is None:
                    event.ended = time.monotonic()
                    return

    def overhear(self, transcript):
        """Draw this transcript's connections too (a load run keeps its own)."""
        with self._lock:
            self.transcripts.append(transcript)

    def _add(self, event: Happening):
        with self._lock:
            if len(self.events) < MOST_EVENTS:
                self.events.append(event)
