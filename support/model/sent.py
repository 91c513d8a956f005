"""What the scriptable model was sent, read as any OpenAI-compatible client may write it.

An engine may put system messages anywhere in a request, and write a message's content as a
string or as a list of parts ({"type": "text", "text": ...}): the contract promises the
conversation (section 4), not one way of writing it down.
"""

from __future__ import annotations


def text_of(message: dict) -> str:
    """A chat message's text, whether its content is a string or a list of text parts."""
    content = message.get("content")
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content
                       if isinstance(part, dict) and part.get("type", "text") == "text")
    return content if isinstance(content, str) else ""


def turns(request: dict) -> list[dict]:
    """The conversation a request carried: its user and assistant messages, as plain text."""
    return [{"role": message["role"], "content": text_of(message)}
            for message in request.get("messages") or []
            if message.get("role") in ("user", "assistant")]


def question_of(request: dict) -> str | None:
    """The message the model was asked to answer: the request's last user message."""
    users = [turn["content"] for turn in turns(request) if turn["role"] == "user"]
    return users[-1] if users else None


def requests_about(requests: list[dict], question: str) -> list[dict]:
    """The requests, of those given, that asked the model to answer this question."""
    return [request for request in requests if question_of(request) == question]


def assert_each_written_knowing_the_ones_before(requests: list[dict], exchanges):
    """Each (question, reply) of a conversation, in order, was answered from a request that
    held every earlier question and its reply, in that order, and then the question itself:
    the last request about it, since a restarted reply asks the model again."""
    expected = []
    for text, reply in exchanges:
        expected.append({"role": "user", "content": text})
        asked = requests_about(requests, text)
        assert asked, f"the model was never asked {text!r} during this scenario"
        sent = turns(asked[-1])
        assert sent == expected, f"the model answered {text!r} knowing {sent}, expected {expected}"
        expected.append({"role": "assistant", "content": reply.content})
