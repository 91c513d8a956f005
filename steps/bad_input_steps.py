"""Frames the engine must refuse, the limits of the ones it takes, and safe retries
(docs/contract.md sections 2, 3 and 6).

    When she sends an empty message
    Given she has sent an empty message
    When she sends a message of 8000 characters
    When she sends a frame of 20 MB
    When she sends 31 messages as fast as she can
    When she waits as long as she was told
    When she hangs up before the answer is finished
    When she sends a message and, unsure it arrived, sends it again with the same id
    Then she is told her message is not valid
    Then she can carry on the conversation
    Then it is answered and kept like any other message
    Then the engine closes her connection as too big
    Then her conversation holds nothing
    Then her first 30 messages are accepted and answered
    Then her 31st message is refused as too fast, with when to try again
    Then nothing of her 31st message was kept
    Then the whole answer is in her history
    Then both sends are acknowledged as the same message
    Then her message and its answer are stored once
"""

import json
import time
import uuid

from behave import given, register_type, then, when
from parse_type import TypeBuilder

from support import crowd
from support.bad_frames import AT_THE_EDGE, NOT_VALID, TOO_BIG
from support.eventually import Condition, eventually, eventually_async

ANSWERS_WITHIN_S = 90  # thirty answers, one after another, on a busy machine
CLOSE_TOO_BIG = 1009

# Only these phrases match, so "she sends a message" stays the step of backpressure_steps.
register_type(NotValidFrame=TypeBuilder.make_choice(list(NOT_VALID)),
              EdgeFrame=TypeBuilder.make_choice(list(AT_THE_EDGE)),
              TooBigFrame=TypeBuilder.make_choice(list(TOO_BIG)))


@given("she has sent {what:NotValidFrame}")
def given_she_has_sent_not_valid(context, what):
    """She sends a frame that is not a valid message and is told so."""
    when_she_sends_not_valid(context, what)
    then_told_not_valid(context)


@when("she sends {what:NotValidFrame}")
def when_she_sends_not_valid(context, what):
    """She sends a frame that is not a valid message, with an id of her own where it has one."""
    context.cast.she.send_frame(*NOT_VALID[what]())


@when("she sends {what:EdgeFrame}")
def when_she_sends_edge(context, what):
    """She sends a message that sits just inside one of the contract's limits."""
    context.cast.she.send_frame(*AT_THE_EDGE[what]())


@when("she sends {what:TooBigFrame}")
def when_she_sends_too_big(context, what):
    """She sends a frame over the largest size; the engine may close before it is all sent."""
    frame, context.too_big_id = TOO_BIG[what]()
    context.close_code = context.cast.she.send_until_closed(frame)


@when("she sends {count:d} messages as fast as she can")
def when_she_sends_fast(context, count):
    """That many messages without waiting in between; each is taken or turned away."""
    person = context.cast.she
    [context.fast] = context.suite.run(crowd.flood([person], count, 60), 65, "sending fast")
    context.refused_at = time.monotonic()


@when("she waits as long as she was told")
def when_she_waits_as_told(context):
    """A bounded wait until the retry_after of her refused message has passed."""
    until = context.refused_at + context.fast[-1].error["retry_after"]
    eventually(time.monotonic, Condition(lambda now: now >= until, "past retry_after"),
               within_s=max(0.0, until - time.monotonic()) + 5, what="the clock", interval_s=0.2)


@when("she hangs up before the answer is finished")
def when_she_hangs_up(context):
    """She closes her connection while the answer is still being written."""
    person = context.cast.she
    assert person.last_reply.done is None, f"the answer had finished: {person.last_reply.describe()}"
    person.disconnect()


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
    """A bad_request error with a message for her frame, and no ack."""
    reply = context.cast.she.last_reply
    assert reply.ack is None, f"the frame was accepted: {reply.describe()}"
    error = reply.error or {}
    assert error.get("code") == "bad_request" and error.get("message"), reply.describe()


@then("she can carry on the conversation")
def then_she_can_carry_on(context):
    """Her next message on the same connection is answered, and it and its answer are stored."""
    person = context.cast.she
    reply = person.ask("Shall we carry on?")
    assert reply.done is not None, f"no answer: {reply.describe()}"
    assert_stored(person, reply)


@then("it is answered and kept like any other message")
def then_answered_and_kept(context):
    """Her last message is acked, answered in full, and both are stored with the frames' ids."""
    person = context.cast.she
    reply = person.follow(person.last_reply)
    assert reply.ack is not None and reply.done is not None, reply.describe()
    assert_stored(person, reply)


def assert_stored(person, reply):
    stored = {str(row["id"]): row for row in person.history()}
    question, answer = stored.get(reply.ack["message_id"]), stored.get(reply.done["message_id"])
    assert question and question["role"] == "user", f"her message is not stored: {stored}"
    assert answer and answer["content"] == reply.content, (
        f"the answer stored is {answer}, she was shown {reply.content!r}")


@then("the engine closes her connection as too big")
def then_closed_too_big(context):
    """The connection was closed with 1009, message too big."""
    assert context.close_code == CLOSE_TOO_BIG, f"closed with {context.close_code}, expected 1009"


@then("her conversation holds nothing")
def then_conversation_holds_nothing(context):
    """No stored row in her conversation and no job for the frame in the queue."""
    stored = context.cast.she.history()
    queued = context.suite.run(context.suite.queue.jobs_from({context.too_big_id}), 30, "the queue")
    assert (stored, queued) == ([], []), f"stored {stored}, queued {queued}"


@then("her first {count:d} messages are accepted and answered")
def then_first_accepted_and_answered(context, count):
    """Each of the first `count` is acked and answered in full."""
    accepted = context.fast[:count]
    context.suite.run(crowd.finish_all([(context.cast.she, accepted)], ANSWERS_WITHIN_S),
                      ANSWERS_WITHIN_S + 5, "answers to her messages")
    unanswered = [(n, reply.describe()) for n, reply in enumerate(accepted, 1) if reply.done is None]
    assert not unanswered, f"not answered: {unanswered[:3]}"


@then("her {nth:d}st message is refused as too fast, with when to try again")
def then_refused_too_fast(context, nth):
    """No ack; a rate_limited error with retry_after, a whole number of seconds of at least 1."""
    reply = context.fast[nth - 1]
    error = reply.error or {}
    assert reply.ack is None and error.get("code") == "rate_limited", reply.describe()
    assert isinstance(error.get("retry_after"), int) and error["retry_after"] >= 1, error


@then("nothing of her {nth:d}st message was kept")
def then_nth_not_kept(context, nth):
    """No stored row and no queued job carry that message's id."""
    refused = context.fast[nth - 1].client_message_id
    stored = [row for row in context.cast.she.history() if row["client_message_id"] == refused]
    queued = context.suite.run(context.suite.queue.jobs_from({refused}), 30, "the queue")
    assert (stored, queued) == ([], []), f"stored {stored}, queued {queued}"


@then("the whole answer is in her history")
def then_whole_answer_stored(context):
    """The answer the model wrote for her question is stored after it, though nobody was
    listening when it was finished."""
    person = context.cast.she
    job_id = person.last_reply.job_id
    [request] = [r for r in context.cast.model_requests() if r["reply"]]
    answers = context.suite.run(eventually_async(
        lambda: _answers_to(person, job_id), Condition(bool, "an answer stored"), 30,
        "her stored answer"), 35, "waiting for her answer to be stored")
    assert [row["content"] for row in answers] == [request["reply"]], (
        f"stored {answers}, the model wrote {request['reply']!r}")


async def _answers_to(person, job_id):
    rows = await person.suite.db.messages(person.conversation_id)
    return [row for row in rows if row["role"] == "assistant" and str(row["job_id"]) == job_id]


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
