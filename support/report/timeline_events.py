"""A scenario's timeline, gathered while it runs and attached when it ends: on every failed
scenario, and on every @load, @infra_faults, @provider_faults and @recovery scenario.

    recording = Recording(suite, cast)          # before_scenario: the queue's depth sampled
    recording.step_started(step); recording.step_ended(step)    # before_step, after_step
    attach_timeline(recording, scenario)        # after_scenario; never raises

While the scenario runs, only the steps' times, the queue's depth (every 0.2 s) and the live
workers (every second: a worker started again shows when it came) are kept.
The rest is read when the picture is drawn: every connection's frames (the cast's, and a load
run's), the model's requests from first to last byte, what the suite did to the workers and
servers (support/happenings.py), and the dead letters written since the scenario began.
Labels go through mask_secrets(), as every attachment does. timeline.py draws it.
"""

from __future__ import annotations

import asyncio
import time

import allure

from support.report.evidence import attach
from support.report.secrets import secrets_of
from support.report.timeline import Mark, Step, Timeline, picture
from support.report.timeline_marks import (dead_letter_marks, frame_events, happening_events,
                                           lane_order, masked, request_events)

PICTURE_TYPES = {"svg": allure.attachment_type.SVG, "png": allure.attachment_type.PNG}
ALWAYS_DRAWN = {"load", "infra_faults", "provider_faults", "recovery"}
SAMPLE_EVERY_S = 0.2
WORKERS_EVERY = 5  # samples: the live workers are looked up once a second
MOST_SAMPLES = 9_000  # half an hour of samples: the sampler is a bounded loop
SAMPLE_WITHIN_S = 2.0  # a read that hangs (Redis away) is a gap in the line, not a wait
READ_WITHIN_S = 10.0


class Recording:
    """One scenario's timeline in the making."""

    def __init__(self, suite, cast):
        self.suite, self.cast = suite, cast
        suite.happenings.begin_scenario()
        self.steps: list[list] = []  # [keyword and text, started, ended, status]
        self.depth: list[tuple[float, int]] = []  # (time.monotonic(), jobs waiting)
        self.workers_seen: dict[str, float] = {}  # consumer name -> first seen (monotonic)
        self.workers_first_read: float | None = None
        self.unread: list[str] = []  # what could not be read: said in the picture's title
        self._sampling = True
        self._sampler = suite.loop.start(self._sample_depth())

    def step_started(self, step):
        self.steps.append([f"{step.keyword} {step.name}", time.monotonic(), None, "untested"])

    def step_ended(self, step):
        if self.steps:
            self.steps[-1][2:] = [time.monotonic(), step.status.name]

    def stop(self):
        # Also a flag: a cancel that lands as a read completes can be lost (asyncio in 3.11).
        self._sampling = False
        self._sampler.cancel()

    async def _sample_depth(self):
        """The queue's depth every SAMPLE_EVERY_S, and which workers are live every second,
        so that a worker the engine started again shows when it came."""
        for sample in range(MOST_SAMPLES):
            if not self._sampling:
                return
            try:
                async with asyncio.timeout(SAMPLE_WITHIN_S):
                    depth = await self.suite.queue.depth()
                    self.depth.append((time.monotonic(), depth))
                    if sample % WORKERS_EVERY == 0:
                        self._saw_workers(await self.suite.queue.live_workers())
            except Exception:  # noqa: BLE001 - Redis away: a gap in the line
                pass
            await asyncio.sleep(SAMPLE_EVERY_S)

    def _saw_workers(self, consumers: list[str]):
        now = time.monotonic()
        for consumer in consumers:
            self.workers_seen.setdefault(consumer, now)
        if self.workers_first_read is None:
            self.workers_first_read = now

    def timeline(self, title: str) -> Timeline:
        began = self.cast.transcript.started
        wall_began = time.time() - (time.monotonic() - began)

        def ms(monotonic: float) -> int:
            return round((monotonic - began) * 1000)

        def ms_of_wall(unix_s: float) -> int:
            return round((unix_s - wall_began) * 1000)

        marks, spans = [], []
        for transcript in [self.cast.transcript, *self.suite.happenings.transcripts]:
            frame_events(transcript, ms, marks, spans)
        self._read("what the suite did to the servers",
                   lambda: happening_events(self.suite.happenings.events, ms, marks, spans))
        marks.extend(Mark(f"worker {consumer.rsplit('-', 1)[-1]}", ms(seen), "restarted",
                          "started") for consumer, seen in self.workers_seen.items()
                     if seen != self.workers_first_read)
        if self.suite.model is not None:
            self._read("the model's requests",
                       lambda: request_events(self.cast.model_requests(), ms_of_wall, spans))
        self._read("the dead letters", lambda: marks.extend(
            dead_letter_marks(self._dead_letters(wall_began), ms_of_wall)))
        steps = [Step(text, ms(started), ms(ended if ended else time.monotonic()), status)
                 for text, started, ended, status in self.steps]
        depth = [(ms(at), jobs) for at, jobs in self.depth]
        if self.unread:
            title = f"{title} (could not read {', '.join(self.unread)})"
        return masked(Timeline(title, marks, spans, steps, depth, lane_order(marks, spans)),
                      self._secrets())

    def _read(self, what: str, read):
        try:
            read()
        except Exception:  # noqa: BLE001 - a part missing is said, never raised
            self.unread.append(what)

    def _dead_letters(self, wall_began: float) -> list[dict]:
        since_ms = int(wall_began * 1000)
        return self.suite.run(self.suite.queue.dead_letters_since(since_ms), READ_WITHIN_S,
                              "reading the dead letters")

    def _secrets(self) -> list[str]:
        try:
            return secrets_of(self.suite)
        except Exception:  # noqa: BLE001
            return []


def load_drawing():
    """Import matplotlib now, in BehaveX's main process before it forks its workers: each
    worker then has it already, instead of importing it for its first timeline (0.7 s of
    CPU in each of six processes)."""
    import support.report.timeline_drawing  # noqa: F401


def wanted(scenario) -> bool:
    return scenario.status.has_failed() or bool(ALWAYS_DRAWN & set(scenario.effective_tags))


def attach_timeline(recording: Recording | None, scenario) -> bool:
    """Stop the recording; draw and attach the timeline if the scenario wants one. Never
    raises: a timeline that cannot be drawn says why, in its place."""
    if recording is None:
        return False
    try:
        recording.stop()
        if not wanted(scenario):
            return False
        body, kind = picture(recording.timeline(scenario.name))
        allure.attach(body, name="timeline", attachment_type=PICTURE_TYPES[kind])
        return True
    except Exception as problem:  # noqa: BLE001 - the picture must never change the outcome
        attach(f"The timeline could not be drawn: {type(problem).__name__}: {problem}",
               "timeline")
        return False
