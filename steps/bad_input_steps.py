"""Frames the engine must refuse, and safe retries (docs/contract.md sections 2 and 3).

    When she sends an empty message
    Given she has sent an empty message
    When she sends a message and, unsure it arrived, sends it again with the same id
    Then she is told her message is not valid
    Then both sends are acknowledged as the same message
    Then her message and its answer are stored once
"""

import json
import uuid

from behave import given, register_type, then, when
from parse_type import TypeBuilder

# Frames that are not valid messages, by the words a spec uses for them.
NOT_VALID = {
    "an empty message": {"type": "message", "content": ""},
    "a message of only spaces": {"type": "message", "content": "   \n\t "},
    "a message of 8001 characters": {"type": "message", "content": "x" * 8001},
    "something that is not a message": {"type": "typing", "content": "hello"},
}

# Only these phrases match, so "she sends a message" stays the step of backpressure_steps.
register_type(NotValidFrame=TypeBuilder.make_choice(list(NOT_VALID)))


def send_not_valid(context, what):
    assert what in NOT_VALID, f"no such frame: {sorted(NOT_VALID)}"
    frame = {**NOT_VALID[what], "client_message_id": str(uuid.uuid4())}
    context.cast.she.send_frame(json.dumps(frame), frame["client_message_id"])


@given("she has sent {what:NotValidFrame}")
def given_she_has_sent_not_valid(context, what):
    """She sends a frame that is not a valid message and is told so."""
    send_not_valid(context, what)
    then_told_not_valid(context)


@when("she sends {what:NotValidFrame}")
def when_she_sends_not_valid(context, what):
    """She sends a frame that is not a valid message, with an id of her own."""
    send_not_valid(context, what)


@when("she sends a message and, unsure it arrived, sends it again with the same id")
def when_she_sends_twice(context):
    """The same JSON message, same client_message_id, twice; both answered in full."""
    person = context.cast.she
    frame = {"type": "message", "content": "Did this arrive?",
             "client_message_id": str(uuid.uuid4())}
    context.twice = [person.send_frame(json.dumps(frame), frame["client_message_id"])
                     for _ in range(2)]
    for reply in context.twice:
        person.follow(reply)


@then("she is told her message is not valid")
def then_told_not_valid(context):
    """A bad_request error for her frame, and no ack."""
    reply = context.cast.she.last_reply
    assert reply.ack is None, f"the frame was accepted: {reply.describe()}"
    assert (reply.error or {}).get("code") == "bad_request", reply.describe()


@then("both sends are acknowledged as the same message")
def then_same_ack(context):
    """Both acks name the same message and job."""
    first, second = (reply.ack for reply in context.twice)
    assert first and second, [reply.describe() for reply in context.twice]
    assert (first["message_id"], first["job_id"]) == (second["message_id"], second["job_id"]), (
        f"the two sends were acknowledged as {first} and {second}")


@then("her message and its answer are stored once")
def then_stored_once(context):
    """One user row and one assistant row in her conversation."""
    stored = [(row["role"], row["content"]) for row in context.cast.she.history()]
    assert [role for role, _ in stored] == ["user", "assistant"], f"stored {stored}"
