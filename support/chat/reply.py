"""Everything the engine says about one message, gathered from the frames of its connection
as the contract (docs/contract.md) names them: ack, notices, the pieces of the latest
attempt, then done or error."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Reply:
    """Everything the engine said about one message, from ack to done or error."""
    client_message_id: str
    ack: dict | None = None
    notices: list[dict] = field(default_factory=list)
    chunks: list[dict] = field(default_factory=list)  # of the latest attempt only
    done: dict | None = None
    error: dict | None = None
    frames_read: int = 0  # how far into its connection's frames this reply has read

    @property
    def job_id(self) -> str | None:
        return self.ack["job_id"] if self.ack else None

    @property
    def content(self) -> str:
        assert self.done is not None, f"the reply is not finished: {self.describe()}"
        return self.done["content"]

    @property
    def finished(self) -> bool:
        return self.done is not None or self.error is not None

    @property
    def answered_or_refused(self) -> bool:
        """The engine has said whether it took the message: an ack, or an error."""
        return self.ack is not None or self.error is not None

    @property
    def started(self) -> bool:
        return bool(self.chunks) or self.finished

    def describe(self) -> str:
        return (f"ack={self.ack}, notices={self.notices}, {len(self.chunks)} chunks, "
                f"done={self.done}, error={self.error}")

    def take(self, frame: dict):
        kind = frame.get("type")
        if kind == "ack":
            self.ack = frame
            self.client_message_id = self.client_message_id or frame.get("client_message_id")
        elif kind == "notice":
            self.notices.append(frame)
        elif kind == "error":
            self.error = frame
        elif kind == "done":
            self.done = frame
        elif kind == "chunk":
            # A restarted reply begins again with a higher attempt: drop the old pieces, and
            # ignore late pieces of an attempt already superseded.
            latest = self.chunks[-1].get("attempt", 1) if self.chunks else 0
            if frame.get("attempt", 1) > latest:
                self.chunks = []
            if frame.get("attempt", 1) >= latest:
                self.chunks.append(frame)

    def belongs_here(self, frame: dict) -> bool:
        if self.client_message_id is None:
            # Sent without an id of its own (a binary or plain-text frame): the first ack or
            # error after it is its answer, and an ack names the id the engine gave it.
            return frame.get("type") in ("ack", "error")
        if frame.get("client_message_id") == self.client_message_id:
            return True
        return self.job_id is not None and frame.get("job_id") == self.job_id
