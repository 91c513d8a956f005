"""What a scenario scripts the model to do and what the model records of what it was sent:
the settings in force (Behaviour, listed with their defaults in support/model/server.py's
docstring), the numbered log of completion requests, and the model's state for the life of
the app, which the control API changes and every completion request reads.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from support.model.faults import FaultPlan

RECORD_LIMIT = 10_000


# --- Behaviour -------------------------------------------------------------------------


@dataclass(frozen=True)
class Behaviour:
    """How the model behaves; each request runs with a snapshot taken when it arrives."""

    chunks: int = 4
    chunk_delay_ms: int = 0
    first_chunk_delay_ms: int = 0
    fail_status: int | None = None
    poison_text: str | None = None
    stalled: bool = False
    context_tokens: int | None = None

    def __post_init__(self) -> None:
        if self.poison_text is not None and not (isinstance(self.poison_text, str)
                                                 and self.poison_text):
            raise ValueError(f"poison_text must be a non-empty string, got {self.poison_text!r}")
        if not isinstance(self.stalled, bool):
            raise ValueError(f"stalled must be true or false, got {self.stalled!r}")
        _require_int("chunks", self.chunks, minimum=1)
        _require_int("chunk_delay_ms", self.chunk_delay_ms, minimum=0)
        _require_int("first_chunk_delay_ms", self.first_chunk_delay_ms, minimum=0)
        if self.fail_status is not None:
            _require_int("fail_status", self.fail_status, minimum=400, maximum=599)
        if self.context_tokens is not None:
            _require_int("context_tokens", self.context_tokens, minimum=1)

    def updated(self, changes: dict[str, Any]) -> Behaviour:
        known = {field.name for field in dataclasses.fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise ValueError(f"unknown setting(s) {unknown}; known: {sorted(known)}")
        return dataclasses.replace(self, **changes)

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _require_int(name: str, value: Any, *, minimum: int, maximum: int | None = None) -> None:
    # bool is an int in Python, but "chunks": true is a mistake worth reporting.
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if value < minimum or (maximum is not None and value > maximum):
        upper = "" if maximum is None else f" and <= {maximum}"
        raise ValueError(f"{name} must be >= {minimum}{upper}, got {value}")


# --- Recording -------------------------------------------------------------------------


class RequestLog:
    """The latest completion requests, numbered in arrival order."""

    def __init__(self, limit: int = RECORD_LIMIT) -> None:
        self._records: deque[dict[str, Any]] = deque(maxlen=limit)
        self._seq = itertools.count(1)
        self.last_seq = 0

    def record(self, **fields: Any) -> dict[str, Any]:
        self.last_seq = next(self._seq)
        entry = {"seq": self.last_seq, "received_at": datetime.now(timezone.utc).isoformat(), **fields}
        self._records.append(entry)
        return entry

    def ended(self, entry: dict[str, Any]) -> None:
        """The answer's last byte went out (or its stream was dropped): ended_at."""
        entry["ended_at"] = datetime.now(timezone.utc).isoformat()

    def since(self, seq: int) -> list[dict[str, Any]]:
        return [entry for entry in self._records if entry["seq"] > seq]

    def clear(self) -> None:
        self._records.clear()


# --- The model's state -----------------------------------------------------------------


class ScriptedModel:
    """The model for the life of one app: the behaviour in force, the gate a stall closes,
    the recorded requests and the fault plan."""

    def __init__(self, initial: Behaviour) -> None:
        self.initial = initial
        self.behaviour = initial
        self.released = asyncio.Event()  # cleared while the model is stalled
        self.released.set()
        self.log = RequestLog()
        self.faults = FaultPlan()

    def behave_as(self, behaviour: Behaviour) -> dict[str, Any]:
        self.behaviour = behaviour
        if behaviour.stalled:
            self.released.clear()
        else:
            self.released.set()
        return behaviour.as_dict()

    def reset(self) -> dict[str, Any]:
        """Every default restored (the initial behaviour), no fault, no recorded request."""
        self.log.clear()
        self.faults.set(None)
        return self.behave_as(self.initial)
