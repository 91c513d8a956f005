"""Frames the engine must refuse, the limits of the ones it takes, the rate limit, and safe
retries (docs/contract.md sections 2, 3 and 6).

    Given she has sent an empty message
    When she sends an empty message
    When she sends a message of 8000 characters
    When she sends a frame of 20 MB
    When she sends 30 messages and 30 frames that are not valid, then one more message, as fast as she can
    When she sends a message, and 5 seconds later 60 more as fast as she can
    When she sends a message 2 seconds before she was told she could
    When she sends two messages at the time she was told she could
    When she hangs up before the answer is finished
    When she sends a message and, unsure it arrived, sends it again with the same id
    Then she is told her message is not valid
    Then she can carry on the conversation
    Then it is answered and kept like any other message
    Then the engine closes her connection as too big
    Then her conversation holds nothing
    Then each of her first 60 frames is answered, or refused as not valid if it was not valid
    Then her 61st message is refused as too fast, with when to try again
    Then nothing of her 61st message was kept
    Then it is refused as too fast, with when to try again
    Then the first of the two is answered and kept like any other message, on the same connection
    Then the second is refused as too fast, as 60 of her frames went through in the 10 seconds before it
    Then the whole answer is in her history
    Then both sends are acknowledged as the same message
    Then her message was queued once, and the assistant was asked once
    Then she is shown the one answer the assistant wrote, once for each time she sent it
    Then her message and its answer are stored once
"""

import time

from behave import given, register_type, then, when
from parse_type import TypeBuilder

from support.people import crowd
from support.people.answers import model_wrote, question_for
from support.people.bad_frames import AT_THE_EDGE, NOT_VALID, TOO_BIG, burst, content_of, message
from support.eventually import (Condition, Deadline, equal_to, eventually, eventually_async,
                                wait_until_moment)
from support.model.sent import requests_about
from support.probes.job_queue import entries_seen_during

ANSWERS_WITHIN_S = 90  # sixty answers, one after another, on a busy machine
SENDING_WITHIN_S = 60  # sixty messages stored one after another, on a busy machine
CLOSE_TOO_BIG = 1009
RESENT = "Did this arrive?"

# The frames a burst starts with, by the words a spec uses for them.
FIRST_FRAMES = {
    "60 messages": lambda: burst(60, 0),
    "30 messages and 30 frames that are not valid": lambda: burst(30, 30),
}

# Only these phrases match, so "she sends a message" stays the step of backpressure_steps.
register_type(NotValidFrame=TypeBuilder.make_choice(list(NOT_VALID)),
              EdgeFrame=TypeBuilder.make_choice(list(AT_THE_EDGE)),
              TooBigFrame=TypeBuilder.make_choice(list(TOO_BIG)),
              FirstFrames=TypeBuilder.make_choice(list(FIRST_FRAMES)))


def told_moment(person) -> float:
    """When her latest refusal as too fast said she could send again: the moment it reached
    her plus its retry_after, so the clock starts at the refusal, not later."""
    refused = [reply for reply in person.replies
               if (reply.error or {}).get("code") == "rate_limited"]
    assert refused, "she was never told to wait"
    arrival = person.connection.arrival_of(refused[-1], "error")
    return person.connection.moment_of(arrival) + refused[-1].error["retry_after"]


def assert_refused_too_fast(reply):
    """No ack; a rate_limited error naming her message, with retry_after, a whole number of
    seconds of at least 1."""
    error = reply.error or {}
    assert reply.ack is None and error.get("code") == "rate_limited", reply.describe()
    retry_after = error.get("retry_after")
    assert type(retry_after) is int and retry_after >= 1, f"retry_after is not whole seconds: {error}"
    assert error.get("client_message_id") == reply.client_message_id, (
        f"the refusal does not name her message {reply.client_message_id}: {error}")


def assert_answered_and_kept(person, reply, content: str):
    """Acked and answered in full; her message is stored as she sent it, with her id, under
    the ids the frames gave, and the answer as she was shown it."""
    person.follow(reply)
    assert reply.ack is not None and reply.done is not None, reply.describe()
    stored = {str(row["id"]): row for row in person.history()}
    question, answer = stored.get(reply.ack["message_id"]), stored.get(reply.done["message_id"])
    assert question and question["role"] == "user", f"her message is not stored: {stored}"
    assert (question["content"], question["client_message_id"]) == (
        content, reply.client_message_id), (
        f"stored {question['content'][:100]!r} with id {question['client_message_id']!r}; she "
        f"sent {content[:100]!r} with id {reply.client_message_id!r}")
    assert answer and answer["role"] == "assistant" and answer["content"] == reply.content, (
        f"the answer stored is {answer}, she was shown {reply.content!r}")


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
    frame, client_message_id = AT_THE_EDGE[what]()
    context.sent_content = content_of(frame)
    context.cast.she.send_frame(frame, client_message_id)


@when("she sends {what:TooBigFrame}")
def when_she_sends_too_big(context, what):
    """She sends a frame over the largest size; the engine may close before it is all sent."""
    frame, context.too_big_id = TOO_BIG[what]()
    context.close_code = context.cast.she.send_until_closed(frame)


@when("she sends {first:FirstFrames}, then one more message, as fast as she can")
def when_she_sends_a_burst(context, first):
    """Those frames, then one more message, without waiting in between; each is taken or
    turned away."""
    frames = FIRST_FRAMES[first]() + [(*message("One message too many"), True)]
    context.fast_valid = [valid for _, _, valid in frames]
    context.fast = context.cast.she.send_frames([(frame, id_) for frame, id_, _ in frames],
                                                SENDING_WITHIN_S)


@when("she sends a message, and {seconds:d} seconds later {count:d} more as fast as she can")
def when_she_sends_one_then_many(context, seconds, count):
    """One message, taken; then, that many seconds after it was sent, `count` more without
    waiting in between."""
    person = context.cast.she
    sent_at = time.monotonic()
    [first] = person.send_frames([message("The first of many")])
    assert first.ack is not None, f"her first message was not taken: {first.describe()}"
    wait_until_moment(sent_at + seconds, f"{seconds} s after her first message")
    many = person.send_frames([message(f"Message {n} of {count}") for n in range(1, count + 1)],
                              SENDING_WITHIN_S)
    context.fast = [first, *many]


@when("she sends a message {seconds:d} seconds before she was told she could")
def when_she_sends_early(context, seconds):
    """One message, that many seconds before her latest refusal's retry_after ran out."""
    person = context.cast.she
    wait_until_moment(told_moment(person) - seconds, f"{seconds} s before she was told")
    person.send_frames([message("Am I let through yet?")])


@when("she sends two messages at the time she was told she could")
def when_she_sends_two_when_told(context):
    """Two messages back to back, as soon as her latest refusal's retry_after has run out
    (counted from the moment the refusal reached her)."""
    person = context.cast.she
    wait_until_moment(told_moment(person), "the time she was told")
    context.two = person.send_frames([message("Here I am again"), message("And once more")])


@when("she hangs up before the answer is finished")
def when_she_hangs_up(context):
    """She closes her connection while the answer is still being written: no done frame has
    reached her."""
    person = context.cast.she
    done = person.connection.arrival_of(person.last_reply, "done")
    assert done is None, f"the answer had finished: {done.text}"
    person.disconnect()


@when("she sends a message and, unsure it arrived, sends it again with the same id")
def when_she_sends_twice(context):
    """The same JSON message, same client_message_id, twice back to back; both followed until
    answered, while her message's jobs in the queue are watched."""
    person = context.cast.she
    frame, client_message_id = message(RESENT)
    connection = person.connection

    async def send_twice():
        replies = await connection.send_frames([(frame, client_message_id)] * 2, Deadline(10))
        for reply in replies:
            await connection.follow(reply, Deadline(30))
        return replies
    suite = context.suite
    context.twice, context.entries_seen = suite.run(
        entries_seen_during(suite.queue, send_twice(), {client_message_id}), 45,
        "sending her message twice")
    person.remember(RESENT, context.twice[0])
    person.replies.append(context.twice[1])


@then("she is told her message is not valid")
def then_told_not_valid(context):
    """A bad_request error with a message for her frame, and no ack."""
    reply = context.cast.she.last_reply
    assert reply.ack is None, f"the frame was accepted: {reply.describe()}"
    error = reply.error or {}
    assert error.get("code") == "bad_request" and error.get("message"), reply.describe()


@then("she can carry on the conversation")
def then_she_can_carry_on(context):
    """Her next message on her open connection is answered, and it and its answer are stored."""
    person = context.cast.she
    reply = person.ask("Shall we carry on?")
    assert_answered_and_kept(person, reply, "Shall we carry on?")


@then("it is answered and kept like any other message")
def then_answered_and_kept(context):
    """Her last message is acked, answered in full, and stored as she sent it, with her id;
    the answer stored is the one she was shown."""
    person = context.cast.she
    assert_answered_and_kept(person, person.last_reply, context.sent_content)


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


@then("each of her first {count:d} frames is answered, or refused as not valid if it was not valid")
def then_first_answered_or_refused(context, count):
    """Each valid one of the first `count` is acked and answered in full; each one that was
    not valid gets a bad_request error and no ack."""
    person = context.cast.she
    first = list(zip(context.fast[:count], context.fast_valid[:count]))
    answered = [reply for reply, valid in first if valid and reply.ack is not None]
    context.suite.run(crowd.finish_all([(person, answered)], ANSWERS_WITHIN_S),
                      ANSWERS_WITHIN_S + 5, "answers to her messages")
    wrong = [(n, "valid" if valid else "not valid", reply.describe())
             for n, (reply, valid) in enumerate(first, 1)
             if (valid and (reply.done is None or reply.error is not None))
             or (not valid and (reply.ack is not None
                                or (reply.error or {}).get("code") != "bad_request"))]
    assert not wrong, f"{len(wrong)} of her first {count} frames were not answered as they " \
                      f"should be, e.g. {wrong[:3]}"


@then("her {nth:d}st message is refused as too fast, with when to try again")
def then_refused_too_fast(context, nth):
    """No ack; a rate_limited error naming it, with retry_after in whole seconds, at least 1."""
    assert_refused_too_fast(context.fast[nth - 1])


@then("nothing of her {nth:d}st message was kept")
def then_nth_not_kept(context, nth):
    """No stored row and no queued job carry that message's id."""
    refused = context.fast[nth - 1].client_message_id
    stored = [row for row in context.cast.she.history() if row["client_message_id"] == refused]
    queued = context.suite.run(context.suite.queue.jobs_from({refused}), 30, "the queue")
    assert (stored, queued) == ([], []), f"stored {stored}, queued {queued}"


@then("it is refused as too fast, with when to try again")
def then_last_refused_too_fast(context):
    """Her last message: no ack; a rate_limited error naming it, with retry_after."""
    assert_refused_too_fast(context.cast.she.last_reply)


@then("the first of the two is answered and kept like any other message, on the same connection")
def then_first_of_two_answered(context):
    """Acked, answered in full and stored as sent, on the connection she opened first and
    that the engine never closed."""
    person = context.cast.she
    first = context.two[0]
    assert_answered_and_kept(person, first, "Here I am again")
    assert person.connections_opened == 1 and person.connection.close_code is None, (
        f"she is on connection {person.connection.label}, closed with "
        f"{person.connection.close_code}")


@then("the second is refused as too fast, as {count:d} of her frames went through in the "
      "{seconds:d} seconds before it")
def then_second_refused(context, count, seconds):
    """Refused as too fast; and, by the times she sent them, exactly `count` of her frames
    that the engine let through were sent in the `seconds` before it."""
    person = context.cast.she
    second = context.two[1]
    assert_refused_too_fast(second)
    since = person.moment_sent(second.client_message_id) - seconds
    let_through = [reply for reply in person.replies if reply is not second
                   and (reply.error or {}).get("code") != "rate_limited"
                   and person.moment_sent(reply.client_message_id) > since]
    assert len(let_through) == count, (
        f"{len(let_through)} of her frames were let through in the {seconds} s before it")


@then("the whole answer is in her history")
def then_whole_answer_stored(context):
    """The answer the model wrote for her question is stored after it, once, though nobody
    was listening when it was finished."""
    person = context.cast.she
    reply = person.last_reply
    written = model_wrote(context.cast.model_requests(), question_for(person, reply))
    assert len(written) == 1, f"the model wrote {len(written)} answers to her question: {written}"
    answers = context.suite.run(eventually_async(
        lambda: _answers_to(person, reply.job_id), Condition(bool, "an answer stored"), 30,
        "her stored answer"), 35, "waiting for her answer to be stored")
    assert [row["content"] for row in answers] == written, (
        f"stored {answers}, the model wrote {written[0]!r}")


async def _answers_to(person, job_id):
    rows = await person.suite.db.messages(person.conversation_id)
    return [row for row in rows if row["role"] == "assistant" and str(row["job_id"]) == job_id]


def frames_about(person, key: str, value: str) -> list[dict]:
    """The frames her connection received whose `key` is `value`, in the order they came."""
    return [frame.data for frame in person.connection.frames
            if frame.data and frame.data.get(key) == value]


@then("both sends are acknowledged as the same message")
def then_same_ack(context):
    """Exactly two acks carry her id, one a send, and both name the same message and job."""
    person = context.cast.she
    acks = [frame for frame in frames_about(person, "client_message_id",
                                            context.twice[0].client_message_id)
            if frame["type"] == "ack"]
    named = {(ack.get("message_id"), ack.get("job_id")) for ack in acks}
    assert len(acks) == 2 and len(named) == 1, f"the two sends were acknowledged as {acks}"


@then("her message was queued once, and the assistant was asked once")
def then_queued_once_asked_once(context):
    """One entry of the queue carried her message while she sent it twice and was answered
    (the answer is slow, so an entry stays long enough to be seen); once none is left, the
    model was asked her question exactly once."""
    assert len(context.entries_seen) == 1, (
        f"her message was queued {len(context.entries_seen)} times: {sorted(context.entries_seen)}")
    queue = context.suite.queue
    client_message_id = context.twice[0].client_message_id
    context.suite.run(eventually_async(lambda: queue.jobs_from({client_message_id}), equal_to([]),
                                       30, "her message's jobs in the queue"),
                      35, "waiting for the queue to let go of her message")
    asked = requests_about(context.cast.model_requests(), RESENT)
    assert len(asked) == 1, f"the model was asked {RESENT!r} {len(asked)} times"


@then("she is shown the one answer the assistant wrote, once for each time she sent it")
def then_only_answer_shown(context):
    """Every frame of her job on her connection tells the one answer the model wrote: no
    error; one done a send (contract 2: a resend gets the reply again), each the same, with
    that text; every piece of the done's attempt, each seq always the same text, the pieces
    0, 1, ... joined making that text."""
    person = context.cast.she
    [written] = model_wrote(context.cast.model_requests(), RESENT)
    job_id = context.twice[0].job_id
    eventually(lambda: [f for f in frames_about(person, "job_id", job_id) if f["type"] == "done"],
               Condition(lambda dones: len(dones) >= 2, "two done frames, one a send"), 10,
               "the done frames of her job on her connection")
    frames = frames_about(person, "job_id", job_id)
    dones = [frame for frame in frames if frame["type"] == "done"]
    assert len(dones) == 2 and not [f for f in frames if f["type"] == "error"], (
        f"her job's frames were {frames}")
    told = {(done["content"], done["message_id"], done["attempt"]) for done in dones}
    assert len(told) == 1 and dones[0]["content"] == written, (
        f"she was shown {[done['content'] for done in dones]}; the model wrote {written!r}")
    pieces: dict[int, set[str]] = {}
    for chunk in (frame for frame in frames if frame["type"] == "chunk"):
        assert chunk["attempt"] == dones[0]["attempt"], f"a piece of another attempt: {chunk}"
        pieces.setdefault(chunk["seq"], set()).add(chunk["content"])
    assert sorted(pieces) == list(range(len(pieces))) and all(
        len(texts) == 1 for texts in pieces.values()), f"pieces came as {pieces}"
    joined = "".join(next(iter(pieces[seq])) for seq in sorted(pieces))
    assert joined == written, f"the pieces make {joined!r}; the model wrote {written!r}"


@then("her message and its answer are stored once")
def then_stored_once(context):
    """Her conversation holds exactly her message, with her id, and the answer she was shown,
    both under the job of her ack."""
    first = context.twice[0]
    rows = context.cast.she.history()
    stored = [(row["role"], row["content"], str(row["job_id"])) for row in rows]
    expected = [("user", RESENT, first.job_id), ("assistant", first.content, first.job_id)]
    assert stored == expected, f"stored {stored}, expected {expected}"
    assert rows[0]["client_message_id"] == first.client_message_id, (
        f"her message is stored with id {rows[0]['client_message_id']!r}, she sent "
        f"{first.client_message_id!r}")
