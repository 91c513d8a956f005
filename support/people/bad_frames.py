"""Frames a client might send, by the words a spec uses for them (docs/contract.md section 2
and section 6): each a (frame, client_message_id) pair; bytes make a binary frame, and None
means the frame carries no id of its own.

    frame, client_message_id = NOT_VALID["a binary frame"]()
"""

from __future__ import annotations

import json
import uuid

MAX_CONTENT_CHARS = 8000
MAX_CLIENT_MESSAGE_ID_CHARS = 100
MAX_JSON_DEPTH = 32
MAX_FRAME_BYTES = 1024 * 1024


def message(content, client_message_id=None, **fields) -> tuple[str, str]:
    """A message object with its own id (a new one unless given) and any further fields."""
    client_message_id = client_message_id or str(uuid.uuid4())
    frame = {"type": "message", "content": content, "client_message_id": client_message_id,
             **fields}
    return json.dumps(frame), client_message_id


def without_content() -> tuple[str, str]:
    """A message object with no content field at all."""
    frame, client_message_id = message("Hello")
    data = json.loads(frame)
    del data["content"]
    return json.dumps(data), client_message_id


def with_bad_id(client_message_id) -> tuple[str, None]:
    """A message whose id is refused, so the engine cannot name it in its answer."""
    frame, _ = message("Hello", client_message_id=None)
    data = {**json.loads(frame), "client_message_id": client_message_id}
    return json.dumps(data), None


def nested(depth: int) -> tuple[str, str]:
    """A message carrying an extra field, so that the whole frame nests `depth` levels."""
    inner = "[" * (depth - 1) + "]" * (depth - 1)
    frame, client_message_id = message("How deep does this go?", extra="INNER")
    return frame.replace('"INNER"', inner), client_message_id


def of_frame_size(size: int) -> tuple[str, str]:
    """A message padded with spaces (the engine trims them) to exactly `size` bytes."""
    frame, client_message_id = message("Padded", pad="")
    return frame.replace('"pad": ""', '"pad": "' + " " * (size - len(frame.encode())) + '"'), \
        client_message_id


NOT_VALID = {
    "an empty message": lambda: message(""),
    "a message of only spaces": lambda: message("   \n\t "),
    "a message of 8001 characters": lambda: message("x" * (MAX_CONTENT_CHARS + 1)),
    "a message of a million characters": lambda: message("x" * 1_000_000),
    "something that is not a message": lambda: message("Hello", type="typing"),
    "a binary frame": lambda: (b"\x00\x01binary\xff", None),
    "a broken JSON object": lambda: ('{"type": "message", "content": "Hello"', None),
    "a JSON list": lambda: ('["message", "Hello"]', None),
    "a JSON number": lambda: ("42", None),
    "a message whose content is not text": lambda: message(42),
    "a message without content": without_content,
    "a message with an empty id": lambda: with_bad_id(""),
    "a message whose id is not text": lambda: with_bad_id(12345),
    "a message with an id of 101 characters":
        lambda: with_bad_id("i" * (MAX_CLIENT_MESSAGE_ID_CHARS + 1)),
    "a message with a NUL character": lambda: message("Hello\x00world"),
    "a message with a lone surrogate": lambda: message("Hello \ud800 world"),
    "a message nested 33 levels deep": lambda: nested(MAX_JSON_DEPTH + 1),
    # Too deep to read at all: the engine cannot name its id.
    "a message nested 100000 levels deep": lambda: (nested(100_000)[0], None),
}

AT_THE_EDGE = {
    "a message of 8000 characters": lambda: message("x" * MAX_CONTENT_CHARS),
    "a message with an id of 100 characters":
        lambda: message("Hello", "i" * (MAX_CLIENT_MESSAGE_ID_CHARS - 36) + str(uuid.uuid4())),
    "a message nested 32 levels deep": lambda: nested(MAX_JSON_DEPTH),
    "a message in a frame of the largest size": lambda: of_frame_size(MAX_FRAME_BYTES),
}

TOO_BIG = {
    "a frame one byte over the largest size": lambda: of_frame_size(MAX_FRAME_BYTES + 1),
    "a frame of 20 MB": lambda: of_frame_size(20 * 1024 * 1024),
}

# Refused as not valid, each naming her id in its refusal, so that a frame sent among many
# is still told apart: what the rate limit scenarios mix with valid messages.
NOT_VALID_WITH_AN_ID = ["an empty message", "a message of only spaces",
                        "something that is not a message", "a message whose content is not text",
                        "a message without content", "a message with a NUL character"]


def content_of(frame: str | bytes) -> str | None:
    """The content a frame carries as a message, trimmed, or None when it carries none."""
    try:
        data = json.loads(frame)
    except (ValueError, RecursionError):
        return None
    content = data.get("content") if isinstance(data, dict) else None
    return content.strip() if isinstance(content, str) else None


def burst(valid: int, not_valid: int) -> list[tuple[str, str, bool]]:
    """`valid` messages and `not_valid` frames refused as not valid, taking turns while both
    last, each with an id of its own: (frame, client_message_id, whether it is valid)."""
    frames = []
    kinds = iter(NOT_VALID_WITH_AN_ID * not_valid)
    for n in range(max(valid, not_valid)):
        if n < valid:
            frames.append((*message(f"Message {n + 1} of a burst"), True))
        if n < not_valid:
            frames.append((*NOT_VALID[next(kinds)](), False))
    return frames
