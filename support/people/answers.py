"""Checks of one reply as the person saw it on her socket, against what the model wrote.

    assert_complete(reply)                          # pieces, order and done agree
    assert_as_written(reply, question, requests)    # ... and the text is the model's, whole
    assert_failed(reply, "model_unavailable")       # acknowledged, then one clear error
    assert_stored_as_written(person, reply, 90)     # once stored: whole, once, the model's

The scriptable model records every request with the reply it writes for it ("reply"), even
for a stream it broke off on purpose: its replies depend only on the messages it is sent,
so the whole reply it was writing is known. A reply cut short and then properly finished
agrees with itself, and only the comparison with the model's text shows it.
"""

from __future__ import annotations

from support.chat.reply import Reply
from support.eventually import eventually_async, truthy
from support.model.sent import requests_about


def assert_complete(reply: Reply):
    """The answer is done, and is exactly its final attempt's pieces, each shown once, in
    order: a retried stream that kept its attempt would show seq 0 twice."""
    assert reply.done is not None, reply.describe()
    numbers = [chunk["seq"] for chunk in reply.chunks]
    assert numbers == list(range(len(numbers))) and numbers, f"pieces came as seq {numbers}"
    joined = "".join(chunk["content"] for chunk in reply.chunks)
    assert joined == reply.content, f"done said {reply.content!r}, pieces make {joined!r}"
    assert reply.done["attempt"] == reply.chunks[-1]["attempt"], reply.describe()


def model_wrote(requests: list[dict], question: str) -> list[str]:
    """The replies the model wrote (or was writing, when a fault cut the stream) for this
    question, one per request it answered, oldest first."""
    return [request["reply"] for request in requests_about(requests, question)
            if request.get("reply") is not None]


def assert_as_written(reply: Reply, question: str, requests: list[dict]):
    """Complete, and the text she was shown is exactly a reply the model wrote for her
    question: nothing missing, nothing added, nothing from another attempt."""
    assert_complete(reply)
    written = model_wrote(requests, question)
    assert written, (f"the model never answered {question!r}; it was asked "
                     f"{len(requests_about(requests, question))} times")
    assert reply.content in written, (
        f"she was shown {reply.content!r} for {question!r}; the model wrote "
        f"{sorted(set(written))!r}")


def question_for(person, reply: Reply) -> str:
    """What she said that this reply answers."""
    for exchanges in person.exchanges.values():
        for text, answered in exchanges:
            if answered is reply:
                return text
    raise AssertionError(f"{person.name} never sent the message of {reply.describe()}")


def assert_answered_as_written(person, replies: list[Reply], requests: list[dict]):
    """Each of these replies of hers is complete and is what the model wrote for it."""
    for reply in replies:
        assert_as_written(reply, question_for(person, reply), requests)


def assert_failed(reply: Reply, code: str):
    """Her acknowledged message ends in an error with that code and a message, never a done;
    the error names her message by its job id and her id for it (contract, section 3: an
    error after the ack carries both)."""
    assert reply.ack is not None, f"her message was never acknowledged: {reply.describe()}"
    assert reply.done is None and reply.error is not None, reply.describe()
    assert reply.error.get("code") == code, f"told {reply.error}, expected code {code}"
    assert reply.error.get("message"), f"the error says nothing: {reply.error}"
    named = (reply.error.get("job_id"), reply.error.get("client_message_id"))
    assert named == (reply.job_id, reply.client_message_id), (
        f"the error names job and message {named}, hers are "
        f"{(reply.job_id, reply.client_message_id)}")


def assert_stored_as_written(person, reply: Reply, within_s: float):
    """Waits, bounded, until a reply to her message is stored for its job; then exactly one
    is, and it is a whole answer the model wrote for her question."""
    suite = person.suite

    async def stored() -> list[str]:
        rows = await suite.db.messages(person.conversation_id)
        return [row["content"] for row in rows
                if row["role"] == "assistant" and str(row["job_id"]) == reply.job_id]
    contents = suite.run(eventually_async(stored, truthy("her answer stored"), within_s,
                                          f"{person.name}'s answers in her history"),
                         within_s + 5, f"reading {person.name}'s history")
    written = model_wrote(person.cast.model_requests(), question_for(person, reply))
    assert contents in [[text] for text in written], (
        f"stored for job {reply.job_id}: {contents!r}; the model wrote {sorted(set(written))!r}")
