"""What each WebSocket connection of a scenario sent and received, and when."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Frame:
    at_ms: int  # milliseconds since the scenario started
    connection: str  # e.g. "Ada#1"
    direction: str  # "opened", "sent", "received" or "closed"
    text: str

    @property
    def data(self) -> dict | None:
        """The frame as a JSON object, or None if it is not one."""
        try:
            value = json.loads(self.text)
        except ValueError:
            return None
        return value if isinstance(value, dict) else None


@dataclass
class Transcript:
    started: float = field(default_factory=time.monotonic)
    frames: list[Frame] = field(default_factory=list)

    def record(self, connection: str, direction: str, text: str) -> Frame:
        frame = Frame(int((time.monotonic() - self.started) * 1000), connection, direction,
                      text)
        self.frames.append(frame)
        return frame
