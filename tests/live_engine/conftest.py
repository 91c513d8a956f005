"""The embedded engine, for the tests that talk to it over a real socket (the fuzzing check,
the refusal log), and a client that sends it one frame at a time.

The stack is the acceptance suite's own (support/stack/embedded.py), with its logs in a scratch
directory so a run of the specs keeps its reports. GRIZZ_ENGINE_DIR runs another engine
checkout, as for the specs.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import uuid
from pathlib import Path

import pytest
from websockets.protocol import State
from websockets.sync.client import connect

from support.config import REPO_ROOT, SuiteConfig
from support.stack.embedded import EmbeddedStack
from support.people.tokens import user_token

ANSWER_WITHIN_S = 15  # one frame's ack or error, on a busy machine
# Below the contract's 60 frames in any 10 s, so a frame's answer is about the frame itself,
# not the rate limit.
FRAMES_PER_CONNECTION = 25
REFUSALS = {"bad_request", "rate_limited"}  # what a refused frame may be answered with


class FrameSender:
    """One user sending frames, each on a connection of her own conversation, and reading
    back the one answer (ack or error) each must get."""

    def __init__(self, endpoints):
        self.endpoints = endpoints
        self.user_id = str(uuid.uuid4())
        self.socket = None
        self.sent = 0  # frames sent on the current connection
        self.answers = 0  # acks and refusals read on it
        self.total = 0

    def answer_to(self, frame: str | bytes) -> dict:
        """Send the frame and return its answer; the connection must stay open."""
        if self.socket is not None and self.socket.state is not State.OPEN:
            self.socket = None  # an earlier frame broke it, and failed for that: start anew
        if self.socket is None or self.sent >= FRAMES_PER_CONNECTION:
            self.rotate()
        self.socket.send(frame)
        self.sent += 1
        self.total += 1
        return self._next_answer(f"the answer to {frame[:200]!r}")

    def rotate(self):
        """Check the connection answered every frame exactly once, then open a new one."""
        if self.socket is not None:
            marker = str(uuid.uuid4())
            self.socket.send(json.dumps({"type": "message", "content": "marker",
                                         "client_message_id": marker}))
            answer = self._next_answer("the marker's ack")
            assert answer.get("client_message_id") == marker, (
                f"{self.answers - 1} answers to {self.sent} frames: an extra answer {answer}")
            self.socket.close()
        url = (f"{self.endpoints.engine_url}/ws/chat/{uuid.uuid4()}"
               f"?token={user_token(self.user_id, self.endpoints.jwt_secret)}")
        self.socket = connect(url, max_size=2**22, open_timeout=10, legacy=True)
        self.sent = self.answers = 0

    def _next_answer(self, what: str) -> dict:
        seen = []
        while True:
            try:
                text = self.socket.recv(timeout=ANSWER_WITHIN_S)
            except TimeoutError:
                raise AssertionError(f"{what}: nothing after {ANSWER_WITHIN_S} s; "
                                     f"saw {seen[-5:]}") from None
            frame = json.loads(text)
            seen.append(frame)
            # Acks, and errors about a frame rather than a job, answer frames; the rest
            # (notices, chunks, done, a job's error) belong to replies in progress.
            if frame.get("type") == "ack" or (frame.get("type") == "error"
                                              and "job_id" not in frame):
                self.answers += 1
                return frame

    def close(self):
        if self.socket is not None and self.socket.state is State.OPEN:
            self.rotate()
            self.socket.close()


@pytest.fixture(scope="session")
def fuzz_engine():
    """The embedded stack; yields (a FrameSender, the engine's log path), and its endpoints
    as fuzz_engine[0].endpoints."""
    reports = Path(tempfile.mkdtemp(prefix="grizz-fuzz-"))
    engine_dir = Path(os.environ.get("GRIZZ_ENGINE_DIR") or REPO_ROOT / "engine")
    stack = EmbeddedStack(SuiteConfig(external=False, engine_dir=engine_dir,
                                      reports_dir=reports))
    try:
        sender = FrameSender(stack.start())
        yield sender, stack.logs_dir / "engine.log"
        sender.close()
    finally:
        stack.stop()
        shutil.rmtree(reports, ignore_errors=True)
