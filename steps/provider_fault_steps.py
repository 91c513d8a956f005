"""A model provider that rate-limits, fails, stalls or breaks its streams (scriptable model).

    Given the model is rate limited for its next 2 requests, asking for 2 seconds of patience
    Given the model answers its next 2 requests with a server error 503
    Given the model's next stream breaks off in the middle
    Given the model's streams break off in the middle, 3 times in a row
    Given the model takes 3 seconds before its first piece
    Given the model is down for longer than the engine keeps trying
    Given the model goes silent for longer than the engine keeps trying
    When she tries to ask "Is anyone there?"
    When the model is back
    Then she receives one complete answer
    Then the model was asked 3 times
    Then the model was asked 3 times, each time at least 2 seconds after the one before
    Then she is told the assistant is unavailable for now
    Then she is told the assistant is unavailable for now, and to try again in 2 seconds
    Then she is told the assistant took too long to answer
    Then her message is filed among those the engine could not answer, with the reason
    Then nothing half-written is kept in her history
"""

from datetime import datetime

from behave import given, then, use_fixture, when

from support.people.answers import assert_as_written, assert_failed, question_for
from support.eventually import eventually_async, truthy
from support.stack.fixtures import model_fault
from support.model.sent import requests_about

# The engine gives up on a silent model after 5 s (contract, section 3, "The model timeout").
PAST_TIMEOUT_MS = 8000
MIDWAY = {"after_pieces": 2, "times": 1}
STREAM_TROUBLES = {
    "stalls before its first piece for longer than it may":
        {"kind": "stall_before_first", "stall_ms": PAST_TIMEOUT_MS, "times": 1},
    "stalls in the middle for longer than it may":
        {"kind": "stall_midway", "stall_ms": PAST_TIMEOUT_MS, **MIDWAY},
    "breaks off in the middle": {"kind": "drop_midway", **MIDWAY},
    "sends a garbled piece in the middle": {"kind": "malformed_event", **MIDWAY},
    "ends early, without its final event": {"kind": "ends_early", **MIDWAY},
}
LONGER_THAN_RETRIES_MS = 120_000  # far beyond the engine's few tries; cleared when back
OUTCOME_WITHIN_S = 60  # three tries of 5 s, back-off, and a busy machine
DEAD_LETTER_WITHIN_S = 10  # written with the error she is shown, or soon after


def faulty_model(context):
    """The scriptable model, with a fixture that clears its fault after the scenario."""
    return use_fixture(model_fault, context)


def asked_about(context, text: str) -> list[dict]:
    return requests_about(context.cast.model_requests(), text)


@given("the model is rate limited for its next {times:d} requests, asking for {seconds:d} "
       "seconds of patience")
def given_rate_limited(context, times, seconds):
    """HTTP 429 with Retry-After: seconds, for that many requests."""
    faulty_model(context).fail_next("status", status=429, retry_after_s=seconds, times=times)


@given("the model answers its next {times:d} requests with a server error {status:d}")
def given_server_errors(context, times, status):
    """That HTTP status for that many requests."""
    faulty_model(context).fail_next("status", status=status, times=times)


@given("the model's next stream {trouble}")
def given_stream_trouble(context, trouble):
    """The next streamed reply has that fault, two pieces in where it is midway."""
    assert trouble in STREAM_TROUBLES, f"unknown trouble {trouble!r}; known: {list(STREAM_TROUBLES)}"
    faulty_model(context).fail_next(**STREAM_TROUBLES[trouble])


@given("the model's streams break off in the middle, {times:d} times in a row")
def given_streams_keep_breaking(context, times):
    """The next that many streams are cut after two pieces."""
    faulty_model(context).fail_next("drop_midway", after_pieces=2, times=times)


@given("the model takes {seconds:d} seconds before its first piece")
def given_slow_start(context, seconds):
    """Every reply starts only after that many seconds, within the engine's 5 s."""
    context.suite.model.behave_like(first_chunk_delay_ms=seconds * 1000)


@given("the model is down for longer than the engine keeps trying")
def given_model_down(context):
    """HTTP 503 to every request until the model is back."""
    faulty_model(context).fail_next("status", status=503, for_ms=LONGER_THAN_RETRIES_MS)


@given("the model goes silent for longer than the engine keeps trying")
def given_model_silent(context):
    """Every request gets nothing for 8 s (the engine waits 5 s), until the model is back."""
    faulty_model(context).fail_next("stall_before_first", stall_ms=PAST_TIMEOUT_MS,
                                  for_ms=LONGER_THAN_RETRIES_MS)


@when('she tries to ask "{text}"')
def when_she_tries_to_ask(context, text):
    """She sends the question and waits for the whole reply or an error."""
    context.cast.she.ask(text, within_s=OUTCOME_WITHIN_S)


@when("the model is back")
def when_model_back(context):
    """The fault is cleared: the model answers normally again."""
    context.suite.model.clear_fault()


@then("she receives one complete answer")
def then_one_complete_answer(context):
    """Her last message ends in done, exactly its final attempt's pieces, each once, and
    its text is the whole of what the model wrote for her question."""
    person = context.cast.she
    reply = person.follow(person.last_reply, within_s=OUTCOME_WITHIN_S)
    assert_as_written(reply, question_for(person, reply), context.cast.model_requests())


@then("the model was asked {times:d} time")
@then("the model was asked {times:d} times")
def then_model_asked(context, times):
    """The scriptable model received her last question that many times."""
    question = context.cast.she.exchanges_here()[-1][0]
    asked = asked_about(context, question)
    assert len(asked) == times, f"the model was asked {question!r} {len(asked)} times"


@then("the model was asked {times:d} times, each time at least {seconds:d} seconds after the "
      "one before")
def then_model_asked_patiently(context, times, seconds):
    """As many requests for her question, each arriving that long after the previous one."""
    then_model_asked(context, times)
    arrivals = [datetime.fromisoformat(r["received_at"])
                for r in asked_about(context, context.cast.she.exchanges_here()[-1][0])]
    gaps = [round((later - earlier).total_seconds(), 2)
            for earlier, later in zip(arrivals, arrivals[1:])]
    assert all(gap >= seconds for gap in gaps), f"retries came {gaps} s apart"


@then("she is told the assistant is unavailable for now")
def then_told_unavailable(context):
    """Her acknowledged message ends in a model_unavailable error that names it and says
    something, never a done."""
    assert_failed(context.cast.she.last_reply, "model_unavailable")


@then("she is told the assistant is unavailable for now, and to try again in {seconds:d} seconds")
def then_told_unavailable_with_advice(context, seconds):
    """A model_unavailable error whose retry_after passes on the provider's Retry-After."""
    assert_failed(context.cast.she.last_reply, "model_unavailable")
    error = context.cast.she.last_reply.error
    assert error.get("retry_after") == seconds, f"told to retry after {error.get('retry_after')}: {error}"


@then("she is told the assistant took too long to answer")
def then_told_too_long(context):
    """Her acknowledged message ends in a model_timeout error that names it and says
    something, never a done."""
    assert_failed(context.cast.she.last_reply, "model_timeout")


@then("her message is filed among those the engine could not answer, with the reason")
def then_filed_as_dead_letter(context):
    """Exactly one dead letter in llm_jobs:dead for her job, with a reason in words."""
    job_id = context.cast.she.last_reply.job_id
    dead = context.suite.run(eventually_async(
        lambda: context.suite.queue.dead_letters_for(job_id), truthy("a dead letter"),
        DEAD_LETTER_WITHIN_S, f"dead letters of job {job_id}"),
        DEAD_LETTER_WITHIN_S + 5, "reading the dead letters")
    assert len(dead) == 1, f"{len(dead)} dead letters for job {job_id}: {dead}"
    assert (dead[0].get("reason") or "").strip(), f"the dead letter gives no reason: {dead[0]}"


@then("nothing half-written is kept in her history")
def then_nothing_half_written(context):
    """No reply is stored in her conversation for her failed message, whole or in part."""
    person = context.cast.she
    job_id = person.last_reply.job_id
    kept = [row for row in person.history() if row["role"] == "assistant"
            and (row["job_id"] is None or str(row["job_id"]) == job_id)]
    assert not kept, f"stored for job {job_id} though it failed: {kept}"
