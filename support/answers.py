"""Checks of one reply as the person saw it on her socket."""

from __future__ import annotations

from support.chat_client import Reply


def assert_complete(reply: Reply):
    """The answer is done, and is exactly its final attempt's pieces, each shown once, in
    order: a retried stream that kept its attempt would show seq 0 twice."""
    assert reply.done is not None, reply.describe()
    numbers = [chunk["seq"] for chunk in reply.chunks]
    assert numbers == list(range(len(numbers))) and numbers, f"pieces came as seq {numbers}"
    joined = "".join(chunk["content"] for chunk in reply.chunks)
    assert joined == reply.content, f"done said {reply.content!r}, pieces make {joined!r}"
    assert reply.done["attempt"] == reply.chunks[-1]["attempt"], reply.describe()
