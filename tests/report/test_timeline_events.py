"""The timeline's events: each frame, request, operation and dead letter in its lane at its
time, secrets masked, and drawing that never raises or changes a scenario's outcome."""

import asyncio
import json
import time
from datetime import datetime, timezone
from types import SimpleNamespace

import allure
import pytest

from support.chat.transcript import Transcript
from support.eventually import at_least, eventually
from support.happenings import Happenings
from support.loop import BackgroundLoop
from support.report import timeline_events
from support.report.secrets import MASK
from support.report.timeline_events import Recording, attach_timeline, wanted

SECRET = "a-jwt-secret-of-the-suite-0123456789"


class Queue:
    def __init__(self, depths=(0, 2, 5, 1), dead=(), workers=(("w-1", "w-2"),)):
        self.depths, self.reads, self.dead = list(depths), 0, list(dead)
        self.workers, self.worker_reads = list(workers), 0

    async def live_workers(self):
        self.worker_reads += 1
        return list(self.workers[min(self.worker_reads - 1, len(self.workers) - 1)])

    async def depth(self):
        self.reads += 1
        return self.depths[min(self.reads - 1, len(self.depths) - 1)]

    async def dead_letters_since(self, unix_ms):
        return [entry for entry in self.dead
                if int(entry["dead_letter_id"].split("-")[0]) >= unix_ms]


@pytest.fixture
def loop():
    background = BackgroundLoop()
    yield background
    background.close()


def iso(unix_s: float) -> str:
    return datetime.fromtimestamp(unix_s, timezone.utc).isoformat()


def make_suite(loop, queue=None, requests=()):
    suite = SimpleNamespace(
        loop=loop, queue=queue or Queue(), happenings=Happenings(),
        endpoints=SimpleNamespace(jwt_secret=SECRET, database_url="", redis_url=""),
        model=SimpleNamespace(), run=loop.run)
    cast = SimpleNamespace(transcript=Transcript(), model_requests=lambda: list(requests))
    return suite, cast


def frame(transcript, connection, direction, text):
    transcript.record(connection, direction, text if isinstance(text, str) else json.dumps(text))


def test_each_frame_is_in_its_connections_lane_and_chunks_are_a_band_per_attempt(loop):
    suite, cast = make_suite(loop)
    recording = Recording(suite, cast)
    said = cast.transcript
    frame(said, "Ada#1", "opened", "ws://127.0.0.1:1/ws/chat/c1")
    frame(said, "Ada#1", "sent", {"type": "message", "content": "Hello"})
    frame(said, "Ada#1", "received", {"type": "ack", "job_id": "j1"})
    for attempt, pieces in ((1, 3), (2, 4)):
        for seq in range(pieces):
            frame(said, "Ada#1", "received",
                  {"type": "chunk", "job_id": "j1", "attempt": attempt, "seq": seq, "content": "x"})
    frame(said, "Ada#1", "received", {"type": "error", "code": "llm_failed", "job_id": "j1"})
    frame(said, "Ada#1", "closed", "code 1011")
    frame(said, "Person 7", "received", {"type": "done", "job_id": "j2"})
    timeline = recording.timeline("A scenario")
    recording.stop()
    kinds = [(mark.lane, mark.kind, mark.label) for mark in timeline.marks]
    assert kinds == [("Ada#1", "opened", ""), ("Ada#1", "sent", ""), ("Ada#1", "ack", ""),
                     ("Ada#1", "error", "error llm_failed"), ("Ada#1", "closed", "closed 1011"),
                     ("Person 7#1", "done", "")]
    assert [(span.kind, span.label) for span in timeline.spans] == [
        ("chunks", "attempt 1: 3 pieces"), ("chunks", "attempt 2: 4 pieces")]
    assert timeline.lane_order[:2] == ["Ada#1", "Person 7#1"]


def test_what_the_suite_did_requests_and_dead_letters_are_placed_in_time(loop):
    now = time.time()
    requests = [{"received_at": iso(now + 0.5), "ended_at": iso(now + 1.5), "status": 200,
                 "fault": None, "messages": [{"role": "user", "content": "What is my name?"}]},
                {"received_at": iso(now + 2.0), "status": 500, "fault": "status",
                 "messages": [{"role": "user", "content": "Hello"}]},
                {"received_at": iso(now + 2.5), "ended_at": iso(now + 4.0), "status": 200,
                 "fault": "stall_mid_stream", "messages": [{"role": "user", "content": "Again"}]}]
    queue = Queue(dead=[{"dead_letter_id": f"{int((now + 3) * 1000)}-0", "job_id": "7f3a0000-1",
                         "entry_id": f"{int((now - 1) * 1000)}-0"},  # the job's, not when
                        {"dead_letter_id": f"{int((now - 60) * 1000)}-0", "job_id": "before"}])
    suite, cast = make_suite(loop, queue, requests)
    recording = Recording(suite, cast)
    suite.happenings.mark("worker 4711", "killed", "SIGKILL")
    suite.happenings.begin("redis", "down", "stopped")
    timeline = recording.timeline("A scenario")
    recording.stop()
    spans = {(span.lane, span.kind, span.label): span for span in timeline.spans}
    answered = spans[("model", "request", "What is my name?")]
    failed = spans[("model", "fault", "http 500: Hello")]
    assert ("model", "fault", "stall_mid_stream: Again") in spans
    assert 400 <= answered.start_ms <= 600 and 1400 <= answered.end_ms <= 1600
    assert failed.end_ms >= failed.start_ms  # no ended_at yet: drawn up to now
    assert ("redis", "down", "stopped") in spans
    assert [(m.lane, m.kind, m.label) for m in timeline.marks] == [
        ("worker 4711", "killed", "SIGKILL"), ("queue", "dead_letter", "job 7f3a0000")]
    assert timeline.lane_order == ["model", "worker 4711", "redis", "queue"]


def test_the_queue_depth_is_sampled_while_the_scenario_runs(loop):
    suite, cast = make_suite(loop, Queue(depths=(0, 3, 3, 1)))
    recording = Recording(suite, cast)
    eventually(lambda: len(recording.depth), at_least(3), 5, "depth samples")
    recording.stop()
    depths = recording.timeline("A scenario").queue_depth
    assert [jobs for _, jobs in depths][:3] == [0, 3, 3]
    assert all(later >= earlier for (earlier, _), (later, _) in zip(depths, depths[1:]))


def test_steps_keep_their_times_and_status(loop):
    suite, cast = make_suite(loop)
    recording = Recording(suite, cast)
    step = SimpleNamespace(keyword="Then", name="she is answered",
                           status=SimpleNamespace(name="failed"))
    recording.step_started(step)
    recording.step_ended(step)
    recording.step_started(SimpleNamespace(keyword="And", name="never ends"))
    steps = recording.timeline("A scenario").steps
    recording.stop()
    assert [(s.keyword_and_text, s.status) for s in steps] == [
        ("Then she is answered", "failed"), ("And never ends", "untested")]


def test_nothing_a_secret_mask_would_hide_appears(loop):
    token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
    requests = [{"received_at": iso(time.time()), "status": 200,
                 "messages": [{"role": "user", "content": f"my secret is {SECRET}"}]}]
    suite, cast = make_suite(loop, requests=requests)
    recording = Recording(suite, cast)
    frame(cast.transcript, "Ada#1", "received", {"type": "error", "code": token})
    timeline = recording.timeline(f"A scenario with {SECRET}")
    recording.stop()
    texts = [timeline.title] + [m.label for m in timeline.marks] + [s.label for s in timeline.spans]
    assert not any(SECRET[:20] in text or token in text for text in texts), texts
    assert MASK in timeline.title and MASK in timeline.marks[0].label


def test_a_part_that_cannot_be_read_is_said_in_the_title(loop):
    class Broken(Queue):
        async def dead_letters_since(self, unix_ms):
            raise ConnectionError("Redis is away")
    suite, cast = make_suite(loop, Broken())
    recording = Recording(suite, cast)
    timeline = recording.timeline("A scenario")
    recording.stop()
    assert timeline.title == "A scenario (could not read the dead letters)"


def scenario(status="passed", tags=()):
    return SimpleNamespace(name="A scenario", effective_tags=set(tags),
                           status=SimpleNamespace(has_failed=lambda: status == "failed"))


@pytest.mark.parametrize("status, tags, drawn", [
    ("failed", (), True), ("passed", (), False), ("passed", ("recovery",), True),
    ("passed", ("load", "slow"), True), ("passed", ("infra_faults",), True),
    ("passed", ("provider_faults",), True), ("passed", ("chat",), False)])
def test_which_scenarios_get_a_timeline(status, tags, drawn):
    assert wanted(scenario(status, tags)) is drawn


def test_attaching_stops_the_sampler_and_attaches_a_png(loop, monkeypatch):
    attached = []
    monkeypatch.setattr(allure, "attach", lambda body, name, attachment_type: attached.append(
        (name, attachment_type, body[:8])))
    suite, cast = make_suite(loop)
    recording = Recording(suite, cast)
    assert attach_timeline(recording, scenario("failed")) is True
    assert attached == [("timeline", allure.attachment_type.SVG, b"<?xml ve")]
    reads = suite.queue.reads
    asyncio.run(asyncio.sleep(0.5))
    assert suite.queue.reads == reads, "the sampler goes on after the scenario ended"


def test_a_drawing_that_fails_is_said_in_its_place_and_never_raises(loop, monkeypatch):
    attached = []
    monkeypatch.setattr(allure, "attach", lambda body, name, attachment_type: attached.append(
        (name, body)))
    monkeypatch.setattr(timeline_events, "picture", lambda timeline: 1 / 0)
    suite, cast = make_suite(loop)
    assert attach_timeline(Recording(suite, cast), scenario("failed")) is False
    assert attached == [("timeline", "The timeline could not be drawn: ZeroDivisionError: "
                                     "division by zero")]
    assert attach_timeline(None, scenario("failed")) is False


def test_a_worker_started_during_the_scenario_shows_when_it_came(loop):
    """Those live at the start are not marked; one the engine started again is."""
    suite, cast = make_suite(loop, Queue(workers=[("host-11", "host-12"), ("host-12",),
                                                  ("host-12", "host-13")]))
    recording = Recording(suite, cast)
    eventually(lambda: suite.queue.worker_reads, at_least(3), 10, "live worker reads")
    timeline = recording.timeline("A scenario")
    recording.stop()
    assert [(m.lane, m.kind, m.label) for m in timeline.marks] == [
        ("worker 13", "restarted", "started")]


def test_labels_are_cut_short_but_the_title_and_steps_stay_whole(loop):
    suite, cast = make_suite(loop)
    recording = Recording(suite, cast)
    frame(cast.transcript, "Ada#1", "received", {"type": "error", "code": "x" * 100})
    step = SimpleNamespace(keyword="Then", name="she receives one complete answer, " * 3,
                           status=SimpleNamespace(name="failed"))
    recording.step_started(step)
    recording.step_ended(step)
    title = "An answer cut off by a crashed worker is written again, once, by another"
    timeline = recording.timeline(title)
    recording.stop()
    assert timeline.title == title
    assert timeline.steps[0].keyword_and_text == f"Then {step.name}"
    assert len(timeline.marks[0].label) == 60 and timeline.marks[0].label.endswith("…")
