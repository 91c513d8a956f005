"""People chatting with the Grizz engine, as a Locust user that measures for real.

Each user is a new person with a conversation of her own. She connects, then in turn sends
a message, waits for the whole reply, and pauses. Locust gets three kinds of request, each
with the time actually measured on this side of the socket:

    WS connect       the WebSocket handshake
    WS first piece   from sending the message to the first piece of the reply
    WS full reply    from sending the message to its done frame; an error frame, a closed
                     connection or no reply in time is a failure, with the error's code

Locust runs on gevent, so the socket is websocket-client's, read by one greenlet per user.

    GRIZZ_JWT_SECRET=... locust -f load/locustfile.py --host ws://127.0.0.1:8000 \
        --headless -u 100 -r 20 -t 1m
"""

from __future__ import annotations

import json
import random
import sys
import time
import uuid
from pathlib import Path

import gevent
import websocket
from gevent.queue import Empty, Queue
from locust import User, events, task
from locust.exception import StopUser

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from support.load.pace import MESSAGE_TEXT  # noqa: E402 - the repository's root is on the path now
from support.people.tokens import user_token  # noqa: E402


@events.init_command_line_parser.add_listener
def _options(parser):
    parser.add_argument("--jwt-secret", env_var="GRIZZ_JWT_SECRET", default="", is_secret=True,
                        help="the engine's JWT secret, to sign each user's token")
    parser.add_argument("--pause-min-s", type=float, default=1.0,
                        help="shortest pause between a reply and the next message (s)")
    parser.add_argument("--pause-max-s", type=float, default=3.0,
                        help="longest pause between a reply and the next message (s)")
    parser.add_argument("--reply-within-s", type=float, default=60.0,
                        help="how long a user waits for a whole reply before it fails (s)")
    parser.add_argument("--cpu-report", default="",
                        help="write this process's CPU seconds during the test to this file")


class ReplyFailed(Exception):
    """The engine answered with an error frame, closed, or did not finish in time."""


class ChatUser(User):
    def wait_time(self):
        options = self.environment.parsed_options
        return random.uniform(options.pause_min_s, options.pause_max_s)

    def on_start(self):
        options = self.environment.parsed_options
        if not options.jwt_secret:
            raise SystemExit("set GRIZZ_JWT_SECRET (or --jwt-secret) to the engine's JWT secret")
        url = (f"{self.host}/ws/chat/{uuid.uuid4()}"
               f"?token={user_token(str(uuid.uuid4()), options.jwt_secret)}")
        self.frames: Queue = Queue()
        self.socket = None
        started = time.perf_counter()
        try:
            self.socket = websocket.create_connection(url, timeout=30)
            self.socket.settimeout(None)  # the receiving greenlet waits as long as it must
            self._fire("connect", started, 0)
        except Exception as error:  # noqa: BLE001 - any refusal is the request's failure
            self._fire("connect", started, 0, error)
            raise StopUser from None
        self.receiver = gevent.spawn(self._receive)

    def _receive(self):
        """Hand every frame to the user's task, and a None when the connection closes."""
        try:
            while True:
                text = self.socket.recv()
                if not text:
                    break
                self.frames.put(json.loads(text))
        except Exception:  # noqa: BLE001 - closed or broken: the task sees the None
            pass
        self.frames.put(None)

    @task
    def chat(self):
        client_message_id = str(uuid.uuid4())
        started = time.perf_counter()
        self.socket.send(json.dumps({"type": "message", "content": MESSAGE_TEXT,
                                     "client_message_id": client_message_id}))
        deadline = started + self.environment.parsed_options.reply_within_s
        job_id, first_piece = None, False
        while True:
            try:
                frame = self.frames.get(timeout=max(0.0, deadline - time.perf_counter()))
            except Empty:
                return self._fire("full reply", started, 0, ReplyFailed(
                    f"no reply within {self.environment.parsed_options.reply_within_s} s"))
            if frame is None:
                self._fire("full reply", started, 0, ReplyFailed(
                    f"connection closed ({self.socket.status or 'no status'})"))
                raise StopUser
            if frame.get("client_message_id") != client_message_id and (
                    job_id is None or frame.get("job_id") != job_id):
                continue  # not about this message
            kind = frame.get("type")
            if kind == "ack":
                job_id = frame.get("job_id")
            elif kind == "chunk" and not first_piece:
                first_piece = True
                self._fire("first piece", started, len(frame.get("content", "")))
            elif kind == "done":
                return self._fire("full reply", started, len(frame.get("content", "")))
            elif kind == "error":
                return self._fire("full reply", started, 0, ReplyFailed(
                    f"{frame.get('code')}: {frame.get('message')}"))

    def _fire(self, name: str, started: float, length: int, error: Exception | None = None):
        self.environment.events.request.fire(
            request_type="WS", name=name, response_time=(time.perf_counter() - started) * 1000,
            response_length=length, exception=error, context={})

    def on_stop(self):
        if self.socket is not None:
            self.socket.close()
        if getattr(self, "receiver", None) is not None:
            self.receiver.kill(block=False)


_cpu_at_start: list[float] = []


@events.test_start.add_listener
def _note_cpu(environment, **_):
    _cpu_at_start[:] = [time.process_time()]


@events.test_stop.add_listener
def _report_cpu(environment, **_):
    """With --cpu-report: this process's CPU seconds from start to stop, and its replies."""
    path = environment.parsed_options.cpu_report if environment.parsed_options else ""
    if path and _cpu_at_start:
        replies = environment.stats.get("full reply", "WS").num_requests
        Path(path).write_text(json.dumps({"cpu_s": time.process_time() - _cpu_at_start[0],
                                          "replies": replies}))
