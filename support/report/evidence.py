"""What a reader of the Allure report sees of a scenario: its WebSocket transcript always,
and on failure the state of the queue, the database, the model and the service logs.

    attach_transcript(cast)                   # after_scenario, every scenario
    attach_failure_evidence(cast, suite)      # after_step, when the step failed

Everything attached goes through mask_secrets() (secrets.py) first. Collecting evidence
never raises: a piece that cannot be read (Redis down, say) is attached as the error that
stopped it, so the evidence never hides the failure it is meant to explain.

Where attachments land (allure-behave 2.16.2 with behave 1.3.3): the formatter opens an
Allure step in `match` and closes it in `result`, and behave calls `after_step` between the
two, so allure.attach() in after_step lands on that step. In after_scenario every step is
closed but the test is still open, so attachments land on the scenario itself.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, Callable, Iterable

import allure

from support.report.secrets import mask_secrets, secrets_of

LOG_LINES = 80
SERVICES = ("engine", "model", "redis", "postgres")
PROBE_WITHIN_S = 5

TEXT = allure.attachment_type.TEXT
JSON = allure.attachment_type.JSON

def to_json(value: Any) -> str:
    """Readable JSON; datetimes, UUIDs, Decimals and the like as their str()."""
    return json.dumps(value, indent=2, default=str, ensure_ascii=False)


def attach(body: str, name: str, attachment_type=TEXT, secrets: Iterable[str] = ()) -> bool:
    """Attach masked text to the current Allure step or test; False if there is none.

    Without the Allure formatter allure.attach does nothing. With it but outside a test
    (allure-behave's stock formatter does not report scenarios inside a Rule) it raises
    KeyError: that must not turn a scenario's result into a hook error.
    """
    try:
        allure.attach(mask_secrets(body, secrets), name=name, attachment_type=attachment_type)
        return True
    except Exception:  # noqa: BLE001 - evidence must never hide the real outcome
        return False


# -- every scenario ---------------------------------------------------------------------

def transcript_text(cast) -> str:
    """Who is who, then each connection's frames: ms since the scenario started, direction,
    frame text."""
    lines = []
    for person in cast.people.values():
        conversations = ", ".join(person.conversations) or "none"
        lines.append(f"{person.name}: user {person.user_id}, conversations {conversations}")
    frames = cast.transcript.frames
    if not frames:
        lines.append("No WebSocket frames were sent or received in this scenario.")
        return "\n".join(lines)
    lines.append("ms since the scenario started; ++ opened, -> sent, <- received, xx closed")
    connections = list(dict.fromkeys(frame.connection for frame in frames))
    for connection in connections:
        own = [frame for frame in frames if frame.connection == connection]
        lines += ["", f"== {connection} ({len(own)} frames)", *map(_frame_line, own)]
    if len(connections) > 1:
        lines += ["", "== all connections, in time order", *map(_frame_line, frames)]
    return "\n".join(lines)


def _frame_line(frame) -> str:
    arrow = _ARROWS.get(frame.direction, frame.direction)
    return f"{frame.at_ms:>7} ms  {frame.connection:<10} {arrow} {frame.text}"


_ARROWS = {"opened": "++", "sent": "->", "received": "<-", "closed": "xx"}


def attach_transcript(cast) -> bool:
    """Attach the scenario's WebSocket transcript (call it in after_scenario). Never raises."""
    if cast is None:
        return False
    secrets = _safely_list(lambda: secrets_of(cast.suite))
    return attach(_safely("the WebSocket transcript", lambda: transcript_text(cast)),
                  "WebSocket transcript", TEXT, secrets)


# -- on failure -------------------------------------------------------------------------

def _safely(what: str, read: Callable[[], str]) -> str:
    try:
        return read()
    except BaseException as error:  # noqa: BLE001 - even a timeout becomes evidence
        if isinstance(error, (KeyboardInterrupt, SystemExit)):
            raise
        return f"Could not read {what}: {type(error).__name__}: {error}"


def queue_state(cast, suite) -> str:
    snapshot = suite.run(suite.queue.snapshot(set(cast.job_ids)), PROBE_WITHIN_S,
                         "reading the Redis queue state")
    return to_json({"this_scenario_job_ids": sorted(cast.job_ids), **snapshot})


def database_rows(cast, suite) -> str:
    """Every message of every conversation of every person of the cast."""
    wanted = [(person, conversation_id) for person in cast.people.values()
              for conversation_id in person.conversations]

    async def read_all():
        return await asyncio.gather(*(suite.db.messages(conversation_id)
                                      for _, conversation_id in wanted),
                                    return_exceptions=True)
    results = suite.run(read_all(), PROBE_WITHIN_S * 2, "reading the scenario's messages")
    rows: dict[str, Any] = {person.name: {"user_id": person.user_id, "conversations": {}}
                            for person in cast.people.values()}
    for (person, conversation_id), messages in zip(wanted, results):
        rows[person.name]["conversations"][conversation_id] = (
            f"Could not read: {type(messages).__name__}: {messages}"
            if isinstance(messages, BaseException) else messages)
    if not rows:
        return to_json({"note": "nobody appeared in this scenario"})
    return to_json(rows)


def model_requests(cast) -> str:
    return to_json(cast.model_requests())


def failure_evidence(cast, suite) -> list[tuple[str, str, Any]]:
    """(name, text, attachment type) for each piece of evidence; never raises."""
    pieces = [
        ("Redis queue state", _safely("the Redis queue state", lambda: queue_state(cast, suite)),
         JSON),
        ("PostgreSQL rows of this scenario",
         _safely("the scenario's rows in PostgreSQL", lambda: database_rows(cast, suite)), JSON),
    ]
    if getattr(suite, "model", None) is not None:
        pieces.append(("Model requests since the scenario started",
                       _safely("the model's recorded requests", lambda: model_requests(cast)),
                       JSON))
    stack = getattr(suite, "stack", None)
    if stack is not None:
        for name in SERVICES:
            pieces.append((f"{name} log (last {LOG_LINES} lines)",
                           _safely(f"the {name} log", lambda name=name: _log_tail(stack, name)),
                           TEXT))
    return [(name, text, kind if not text.startswith("Could not read") else TEXT)
            for name, text, kind in pieces]


def _log_tail(stack, name: str) -> str:
    service = stack.services.get(name)
    if service is None:
        return f"The {name} service is not running in this stack."
    return service.log_tail(LOG_LINES) or f"{service.log_path.name} is empty."


def attach_failure_evidence(cast, suite) -> list[str]:
    """Attach the evidence of a failure; returns the names attached. Never raises."""
    if cast is None or suite is None:
        return []
    secrets = _safely_list(lambda: secrets_of(suite))
    attached = []
    for name, text, kind in failure_evidence(cast, suite):
        if attach(text, name, kind, secrets):
            attached.append(name)
    return attached


def _safely_list(read: Callable[[], list[str]]) -> list[str]:
    try:
        return read()
    except Exception:  # noqa: BLE001
        return []
