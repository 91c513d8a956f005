"""Client frames in, server frames out (contract, sections 2 and 3)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

MAX_CONTENT_CHARS = 8000
MAX_CLIENT_MESSAGE_ID_CHARS = 100
RETRY_AFTER_S = 5


class BadFrame(Exception):
    """The frame is not a valid message; answered with a bad_request error."""

    def __init__(self, reason: str, client_message_id: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.client_message_id = client_message_id


@dataclass(frozen=True)
class ChatMessage:
    content: str
    client_message_id: str  # the client's, or one generated for it


def parse_client_frame(text: str | None) -> ChatMessage:
    """A JSON object is a typed frame; any other text is the message content itself."""
    if text is None:
        raise BadFrame("binary frames are not accepted; send text")
    try:
        data: Any = json.loads(text)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        return ChatMessage(_checked_content(text, None), str(uuid.uuid4()))

    client_message_id = data.get("client_message_id")
    if client_message_id is not None:
        if not isinstance(client_message_id, str) or not client_message_id:
            raise BadFrame("client_message_id must be a non-empty string")
        if len(client_message_id) > MAX_CLIENT_MESSAGE_ID_CHARS:
            raise BadFrame(f"client_message_id is longer than {MAX_CLIENT_MESSAGE_ID_CHARS} characters")
    if data.get("type") != "message":
        raise BadFrame('unknown frame type; expected "message"', client_message_id)
    content = data.get("content")
    if not isinstance(content, str):
        raise BadFrame("content must be a string", client_message_id)
    return ChatMessage(
        _checked_content(content, client_message_id),
        client_message_id or str(uuid.uuid4()),
    )


def _checked_content(content: str, client_message_id: str | None) -> str:
    content = content.strip()
    if not content:
        raise BadFrame("content is empty", client_message_id)
    if len(content) > MAX_CONTENT_CHARS:
        raise BadFrame(f"content is longer than {MAX_CONTENT_CHARS} characters", client_message_id)
    return content


def ack_frame(message_id: uuid.UUID, job_id: uuid.UUID, client_message_id: str) -> dict:
    return {
        "type": "ack",
        "message_id": str(message_id),
        "job_id": str(job_id),
        "client_message_id": client_message_id,
    }


def busy_notice(job_id: uuid.UUID, client_message_id: str) -> dict:
    return {
        "type": "notice",
        "code": "queue_busy",
        "message": "The queue is busy; your reply may take longer than usual.",
        "job_id": str(job_id),
        "client_message_id": client_message_id,
    }


def error_frame(code: str, message: str, **fields: Any) -> dict:
    frame = {"type": "error", "code": code, "message": message}
    frame.update({key: value for key, value in fields.items() if value is not None})
    return frame


def overloaded_frame(client_message_id: str) -> dict:
    return error_frame(
        "overloaded",
        "The engine is overloaded; nothing was stored. Send again later.",
        client_message_id=client_message_id,
        retry_after=RETRY_AFTER_S,
    )


def result_frame(entry: dict[str, str], client_message_id: str) -> dict | None:
    """A result-stream entry as the frame the client sees; None for an unknown entry."""
    kind = entry.get("type")
    if kind == "chunk":
        return {
            "type": "chunk",
            "job_id": entry["job_id"],
            "attempt": int(entry["attempt"]),
            "seq": int(entry["seq"]),
            "content": entry["content"],
        }
    if kind == "done":
        return {
            "type": "done",
            "job_id": entry["job_id"],
            "attempt": int(entry["attempt"]),
            "message_id": entry["message_id"],
            "content": entry["content"],
        }
    if kind == "error":
        return error_frame(
            entry.get("code", "internal"),
            entry.get("message", "The reply failed."),
            job_id=entry.get("job_id"),
            client_message_id=client_message_id,
            retry_after=int(entry["retry_after"]) if entry.get("retry_after", "").isdigit() else None,
        )
    return None
