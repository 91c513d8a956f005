"""What the scriptable model answers: a pure function of the messages it is given, so a
scenario can tell from the answer what history the engine sent (the rules are listed in
support/model/server.py's docstring), and how a reply is cut into streamed pieces."""

from __future__ import annotations

import re
from typing import Any

_TELLS_NAME = re.compile(r"\bmy\s+name\s+is\s+(\w+(?:['’-]\w+)*)", re.IGNORECASE)
_ASKS_NAME = re.compile(r"\bwhat(?:\s+is|'s|s)\s+my\s+name\b")
_TELLS_HOME = re.compile(r"\bi\s+live\s+in\s+(\w+(?:['’-]\w+)*)", re.IGNORECASE)
_ASKS_HOME = re.compile(r"\bwhere\s+do\s+i\s+live\b")


def message_text(message: dict[str, Any]) -> str:
    """The text of a message whose content is a string or a list of content parts."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            part.get("text", "") for part in content if isinstance(part, dict) and part.get("type") == "text"
        )
    return ""


def told_name(text: str) -> str | None:
    matches = _TELLS_NAME.findall(text)
    return matches[-1] if matches else None


def asks_name(text: str) -> bool:
    return _ASKS_NAME.search(_normalised(text)) is not None


def _normalised(text: str) -> str:
    normalised = text.lower().replace("’", "'")
    normalised = re.sub(r"[^\w\s']", " ", normalised)
    return " ".join(normalised.split())


def reply_for(messages: list[dict[str, Any]]) -> str:
    """The reply to a conversation: a pure function of its messages."""
    user_texts = [message_text(m) for m in messages if m.get("role") == "user"]
    last = user_texts[-1] if user_texts else ""

    name = told_name(last)
    if name:
        return f"Nice to meet you, {name}! I will remember your name."
    if asks_name(last):
        earlier_names = [n for n in map(told_name, user_texts[:-1]) if n]
        if earlier_names:
            return f"Your name is {earlier_names[-1]}."
        return "I don't know your name yet."
    if _ASKS_HOME.search(_normalised(last)):
        homes = [m[-1] for m in map(_TELLS_HOME.findall, user_texts[:-1]) if m]
        return f"You live in {homes[-1]}." if homes else "I don't know where you live."
    return f"You said: {last}. This is message {len(user_texts)} of this conversation."


def split_into_pieces(text: str, chunks: int) -> list[str]:
    """Cut text at word boundaries into `chunks` pieces (fewer if it has fewer words)."""
    words = re.findall(r"\s*\S+\s*", text)
    if not words:
        return [text] if text else []
    count = min(chunks, len(words))
    return ["".join(words[i * len(words) // count : (i + 1) * len(words) // count]) for i in range(count)]
