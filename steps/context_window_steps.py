"""A conversation longer than the model's context window (needs the scriptable model).

    Given the model reads at most 200 tokens at a time
    Given she has chatted until her conversation outgrew the model's window
    When she asks in turn "What is my name?" and "Where do I live?"
    When she sends a message too long for the model's window on its own
    Then the model was given as many of her newest turns as fit in its window, whole and in order
    Then only her oldest turns were left out, from her first message on
    Then the model was given the same opening instructions as at her first message
    Then the first reply does not mention "Ada", and the second mentions "Lisbon"
    Then she is told her message is too long for the model
    Then her message stays in her history, unanswered and not set aside
"""

from behave import given, then, when

from support.people import long_conversation as window
from support.people.answers import assert_failed

TOO_LONG = "message_too_long_for_model"


@given("the model reads at most {tokens:d} tokens at a time")
def given_model_window(context, tokens):
    """The scriptable model refuses longer requests as OpenAI does; reset after the scenario."""
    context.suite.model.behave_like(context_tokens=tokens)
    context.window = tokens


@given("she has chatted until her conversation outgrew the model's window")
def given_outgrown(context):
    """Filler messages, each answered, until the turns since hold more than the window."""
    window.outgrow_window(context.cast.she, context.window)


@when('she asks in turn "{first}" and "{second}"')
def when_she_asks_two(context, first, second):
    """Both questions, one after the other, each answered before the next."""
    person = context.cast.she
    context.two_replies = [person.ask(first), person.ask(second)]


@when("she sends a message too long for the model's window on its own")
def when_too_long_alone(context):
    """A message well within the 8000 characters allowed, but longer than the window."""
    context.cast.she.ask(window.too_long_alone(context.window))


@then("the model was given as many of her newest turns as fit in its window, whole and in order")
def then_newest_turns_that_fit(context):
    person = context.cast.she
    request = window.answered_request(context.cast.model_requests(), person)
    window.assert_newest_turns_that_fit(request, person, context.window)


@then("only her oldest turns were left out, from her first message on")
def then_only_oldest_left_out(context):
    person = context.cast.she
    request = window.answered_request(context.cast.model_requests(), person)
    window.assert_only_oldest_left_out(request, person, person.exchanges_here()[0][0])


@then("the model was given the same opening instructions as at her first message")
def then_same_opening(context):
    """The system messages the engine began her first request with begin the last one too."""
    requests = context.cast.model_requests()
    person = context.cast.she
    expected = window.opening(window.first_answered(requests, person))
    given_now = window.opening(window.answered_request(requests, person))
    assert given_now == expected, f"the model was given {given_now} first, at first {expected}"


@then('the first reply does not mention "{forgotten}", and the second mentions "{recalled}"')
def then_forgot_and_recalled(context, forgotten, recalled):
    first, second = (reply.content for reply in context.two_replies)
    assert forgotten not in first, f"the first reply was {first!r}"
    assert recalled in second, f"the second reply was {second!r}"


@then("she is told her message is too long for the model")
def then_told_too_long(context):
    """Acknowledged, then one error with the code, a sentence and her message's ids."""
    assert_failed(context.cast.she.last_reply, TOO_LONG)


@then("her message stays in her history, unanswered and not set aside")
def then_kept_unanswered(context):
    """Her message is stored as acknowledged, no reply for its job, no dead letter, and its
    job is out of the queue."""
    person = context.cast.she
    reply = person.last_reply
    rows = [(row["role"], row["content"]) for row in person.history()
            if str(row["job_id"]) == reply.job_id]
    assert rows == [("user", person.exchanges_here()[-1][0])], (
        f"her conversation holds {rows} for her message")
    suite = context.suite
    dead = suite.run(suite.queue.dead_letters_for(reply.job_id), 10, "reading dead letters")
    queued = suite.run(suite.queue.jobs_with({reply.job_id}), 10, "reading the queue")
    assert not dead and not queued, f"set aside: {dead}; still queued: {queued}"
