"""Faults of the scriptable model (support/model/server.py): what a provider does on a bad day.

A fault holds for the next `times` completion requests, or for `for_ms` milliseconds from
when it is set, then the model answers normally again. One fault at a time; setting another
replaces it, and a reset clears it.

    kind                what the affected request gets
    status              HTTP `status` (429, 500, 503, ...) with an OpenAI-style error body,
                        and a Retry-After header of `retry_after_s` seconds when given
    stall_before_first  the response starts, then nothing for `stall_ms`, then the reply
    stall_midway        `after_pieces` pieces, nothing for `stall_ms`, then the rest
    drop_midway         `after_pieces` pieces, then the connection is cut mid-body
    malformed_event     `after_pieces` pieces, then an event whose data is not JSON
    ends_early          `after_pieces` pieces, then the body ends cleanly, with no finish
                        reason and no [DONE]

The mid-stream kinds apply to streamed requests; a non-streamed request under them is
answered normally and does not use up the fault.
"""

from __future__ import annotations

import copy
import dataclasses
import time
from dataclasses import dataclass
from typing import Any, AsyncIterator, Callable

KINDS = ("status", "stall_before_first", "stall_midway", "drop_midway", "malformed_event",
         "ends_early")
MIDWAY = ("stall_midway", "drop_midway", "malformed_event", "ends_early")


class DroppedConnection(Exception):
    """Raised inside a streamed body: the server cuts the connection without ending it."""


@dataclass
class Fault:
    kind: str
    times: int | None = None  # the next N completion requests
    for_ms: int | None = None  # or every request for this long
    status: int = 503  # kind "status"
    retry_after_s: int | None = None  # kind "status": the Retry-After header, if any
    stall_ms: int = 0  # kinds stall_*
    after_pieces: int = 1  # mid-stream kinds: content pieces sent before the fault
    set_at: float = dataclasses.field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {list(KINDS)}, got {self.kind!r}")
        if (self.times is None) == (self.for_ms is None):
            raise ValueError("give exactly one of times (requests) or for_ms (milliseconds)")
        for name, minimum in (("times", 1), ("for_ms", 1), ("stall_ms", 0),
                              ("after_pieces", 0), ("retry_after_s", 0)):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)
                                      or value < minimum):
                raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
        if not isinstance(self.status, int) or not 400 <= self.status <= 599:
            raise ValueError(f"status must be an HTTP error status 400-599, got {self.status!r}")

    @classmethod
    def from_json(cls, body: Any) -> Fault:
        if not isinstance(body, dict):
            raise ValueError("the body must be a JSON object describing the fault")
        known = {field.name for field in dataclasses.fields(cls)} - {"set_at"}
        unknown = sorted(set(body) - known)
        if unknown:
            raise ValueError(f"unknown fault field(s) {unknown}; known: {sorted(known)}")
        return cls(**body)

    def as_dict(self) -> dict[str, Any]:
        return {key: value for key, value in dataclasses.asdict(self).items() if key != "set_at"}

    def over(self) -> bool:
        if self.times is not None:
            return self.times <= 0
        return (time.monotonic() - self.set_at) * 1000 >= self.for_ms

    def applies_to(self, stream: bool) -> bool:
        return stream or self.kind not in MIDWAY


class FaultPlan:
    """The fault in force, if any; take() hands it to one request and counts it."""

    def __init__(self) -> None:
        self.fault: Fault | None = None

    def set(self, fault: Fault | None) -> dict[str, Any] | None:
        self.fault = fault
        return fault.as_dict() if fault else None

    def current(self) -> dict[str, Any] | None:
        if self.fault is not None and self.fault.over():
            self.fault = None
        return self.fault.as_dict() if self.fault else None

    def take(self, stream: bool) -> Fault | None:
        """The fault this request gets, if any."""
        if self.current() is None or not self.fault.applies_to(stream):
            return None
        taken = copy.copy(self.fault)
        if self.fault.times is not None:
            self.fault.times -= 1
        return taken


async def faulty_stream(events: AsyncIterator[str], fault: Fault,
                        sleep: Callable) -> AsyncIterator[str]:
    """The stream's events with the fault applied. The first event is the role event, then
    come one event per content piece, then the end events."""
    if fault.kind == "stall_before_first":
        await sleep(fault.stall_ms)
    cut = 1 + fault.after_pieces  # the role event and the pieces before the fault
    index = 0
    async for event in events:
        if index == cut and fault.kind in MIDWAY:
            if fault.kind == "stall_midway":
                await sleep(fault.stall_ms)
            elif fault.kind == "drop_midway":
                raise DroppedConnection("connection dropped by a scripted fault")
            elif fault.kind == "malformed_event":
                yield 'data: {"id": "chatcmpl-broken", "choices": [{"delta": \n\n'
            elif fault.kind == "ends_early":
                return
        yield event
        index += 1
