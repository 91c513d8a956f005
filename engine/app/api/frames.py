"""Client frames in, server frames out (contract, sections 2 and 3)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from app.core.outages import OUTAGE_RETRY_AFTER_S

MAX_CONTENT_CHARS = 8000
MAX_CLIENT_MESSAGE_ID_CHARS = 100
MAX_JSON_DEPTH = 32
PLAIN_TEXT = object()  # what a frame that is not JSON parses to
MAX_FRAME_BYTES = 1024 * 1024  # the WebSocket server's own limit: larger frames close 1009
RETRY_AFTER_S = 5
TOO_FAST_RETRY_AFTER_S = 1


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
    """A JSON object is a typed frame; any other text that is not JSON is the content itself."""
    if text is None:
        raise BadFrame("binary frames are not accepted; send the message as a text frame")
    data = _json_or_plain(text)
    if data is PLAIN_TEXT:
        return ChatMessage(_checked_content(text, None), str(uuid.uuid4()))
    if not isinstance(data, dict):
        raise BadFrame('a JSON frame must be an object with "type": "message"')
    client_message_id = data.get("client_message_id")
    if client_message_id is not None:
        if not isinstance(client_message_id, str) or not client_message_id:
            raise BadFrame("client_message_id must be a non-empty string")
        if len(client_message_id) > MAX_CLIENT_MESSAGE_ID_CHARS:
            raise BadFrame(f"client_message_id is longer than {MAX_CLIENT_MESSAGE_ID_CHARS} characters")
        _check_storable(client_message_id, "client_message_id", None)
    if _depth(data) > MAX_JSON_DEPTH:
        raise BadFrame(f"the frame is nested deeper than {MAX_JSON_DEPTH} levels", client_message_id)
    if data.get("type") != "message":
        raise BadFrame('unknown frame type; expected "message"', client_message_id)
    content = data.get("content")
    if not isinstance(content, str):
        raise BadFrame("content must be a string", client_message_id)
    return ChatMessage(
        _checked_content(content, client_message_id),
        client_message_id or str(uuid.uuid4()),
    )


def _json_or_plain(text: str) -> Any:
    """The parsed frame if it is JSON; PLAIN_TEXT for plain text. A frame that opens like a JSON
    object but does not parse, or that is nested too deeply to parse, is refused."""
    try:
        return json.loads(text)
    except RecursionError:
        raise BadFrame(f"the frame is nested deeper than {MAX_JSON_DEPTH} levels") from None
    except ValueError:
        if text.lstrip().startswith("{"):
            raise BadFrame("the frame is not valid JSON") from None
        return PLAIN_TEXT


def _depth(value: Any) -> int:
    """How deeply objects and arrays nest in the value (a flat object is 1); no recursion,
    since the parser accepts frames nearly as deep as the interpreter's stack."""
    deepest, level = 0, [(value, 1)]
    while level:
        item, depth = level.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is not None:
            deepest = max(deepest, depth)
            level.extend((child, depth + 1) for child in children)
    return deepest


def _check_storable(text: str, what: str, client_message_id: str | None) -> None:
    """PostgreSQL text holds neither NUL characters nor unpaired surrogates."""
    if "\x00" in text:
        raise BadFrame(f"{what} contains a NUL character", client_message_id)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise BadFrame(f"{what} is not valid Unicode (an unpaired surrogate)", client_message_id) from None


def _checked_content(content: str, client_message_id: str | None) -> str:
    content = content.strip()
    if not content:
        raise BadFrame("content is empty", client_message_id)
    if len(content) > MAX_CONTENT_CHARS:
        raise BadFrame(f"content is longer than {MAX_CONTENT_CHARS} characters", client_message_id)
    _check_storable(content, "content", client_message_id)
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


def rate_limited_frame(retry_after_s: int, client_message_id: str | None = None) -> dict:
    return error_frame(
        "rate_limited",
        "You are sending faster than this connection allows; nothing was stored. "
        "Send again after retry_after seconds.",
        client_message_id=client_message_id,
        retry_after=retry_after_s,
    )


def token_expired_frame(client_message_id: str | None = None) -> dict:
    return error_frame(
        "token_expired",
        "Your sign-in has expired; nothing was stored. Reconnect with a fresh token.",
        client_message_id=client_message_id,
    )


def overloaded_frame(client_message_id: str) -> dict:
    return error_frame(
        "overloaded",
        "The engine is overloaded; nothing was stored. Send again later.",
        client_message_id=client_message_id,
        retry_after=RETRY_AFTER_S,
    )


def unavailable_frame(client_message_id: str | None, job_id: uuid.UUID | None = None) -> dict:
    """Redis or PostgreSQL cannot be reached (app.core.outages). Before the ack nothing of
    the message was kept; after it (job_id given) the message stays accepted, and its reply
    is written and stored once the server is back."""
    if job_id is None:
        text = ("A server the engine needs cannot be reached; nothing was stored. "
                "Send the message again after retry_after seconds.")
    else:
        text = ("A server the engine needs cannot be reached, so the reply cannot be passed on "
                "now; your message is kept and its reply will be in the conversation's history.")
    return error_frame(
        "unavailable", text,
        job_id=None if job_id is None else str(job_id),
        client_message_id=client_message_id,
        retry_after=OUTAGE_RETRY_AFTER_S,
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


def too_fast_frame(client_message_id: str, waiting: int) -> dict:
    """The connection's inbox is full (chat_socket.INBOX_FRAMES): this message is not kept."""
    return error_frame(
        "rate_limited",
        f"{waiting} messages are already waiting on this connection; this one was not stored. "
        "Wait for their acks, then send it again.",
        client_message_id=client_message_id,
        retry_after=TOO_FAST_RETRY_AFTER_S,
    )


def client_message_id_of(text: str | None) -> str | None:
    """The frame's own client_message_id if it carries a usable one, for refusals that do
    not read the frame (rate_limited)."""
    try:
        message = parse_client_frame(text)
    except BadFrame as bad:
        return bad.client_message_id
    return message.client_message_id if _json_or_plain(text or "") is not PLAIN_TEXT else None
