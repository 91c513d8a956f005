"""What an engine must say while Redis or PostgreSQL is away (docs/contract.md, section 3,
"When Redis or PostgreSQL is away", and section 1's close 1013).

    servers = operate(context)     # support/stack/fixtures.py: every server back afterwards
    servers.stop("redis")
    assert_refused_for_now(reply)            # never acknowledged: `unavailable`, retry_after
    assert_cut_off_for_now(reply)            # acknowledged, then `unavailable`, never a done

`unavailable` is the one code for a server that cannot be reached: before the ack nothing of
the message was kept; after it, the message stays accepted and its reply is written once
the server is back. Either way the error has a sentence, names the message, and says when to
try again: `retry_after`, a whole number of seconds, at least 1.
"""

from __future__ import annotations

from support.chat.reply import Reply

OUTAGE_CODE = "unavailable"
CLOSE_TRY_AGAIN_LATER = 1013  # the WebSocket's "try again later"
REFUSED_WITHIN_S = 45  # a message sent while a server is away (contract, section 3)
TOLD_WITHIN_S = 90  # a reply being relayed when Redis goes away and stays away
SERVERS = {"Redis": "redis", "PostgreSQL": "postgres"}  # as the feature names them


def assert_says_when_to_retry(error: dict):
    """Code `unavailable`, a sentence, and retry_after a whole number of seconds, at least 1."""
    assert error.get("code") == OUTAGE_CODE, f"told {error}, expected code {OUTAGE_CODE}"
    assert isinstance(error.get("message"), str) and error["message"].strip(), (
        f"the error says nothing: {error}")
    retry_after = error.get("retry_after")
    assert type(retry_after) is int and retry_after >= 1, (
        f"retry_after is {retry_after!r}, not a whole number of seconds of at least 1: {error}")


def assert_refused_for_now(reply: Reply):
    """Never acknowledged; one `unavailable` error with when to retry, naming her message by
    her id for it (and by no job: none was queued)."""
    assert reply.ack is None, f"her message was acknowledged: {reply.describe()}"
    assert reply.error is not None, f"no error came for her message: {reply.describe()}"
    assert_says_when_to_retry(reply.error)
    assert reply.error.get("client_message_id") == reply.client_message_id, (
        f"the error names message {reply.error.get('client_message_id')!r}, "
        f"hers is {reply.client_message_id!r}")


def assert_cut_off_for_now(reply: Reply):
    """Acknowledged, then one `unavailable` error with when to retry and no done; the error
    names her message by its job id and her id for it (contract 3: after the ack, both)."""
    assert reply.ack is not None, f"her message was never acknowledged: {reply.describe()}"
    assert reply.done is None and reply.error is not None, reply.describe()
    assert_says_when_to_retry(reply.error)
    named = (reply.error.get("job_id"), reply.error.get("client_message_id"))
    assert named == (reply.job_id, reply.client_message_id), (
        f"the error names job and message {named}, hers are "
        f"{(reply.job_id, reply.client_message_id)}")
