"""A flood of messages against a stalled model.

    Given the model has stalled
    When 200 people send 50 messages each as fast as they can
    When the model recovers
    Then every accepted message is answered exactly once
    Then every turned-away message left nothing behind
"""

from behave import given, then, use_fixture, when

from support import crowd
from support.console import say
from support.fixtures import stalled_model

FLOOD_WITHIN_S = 300
ANSWERS_WITHIN_S = 600


@given("the model has stalled")
def given_model_stalled(context):
    """The model takes requests and answers none until it recovers."""
    use_fixture(stalled_model, context)


@when("{people:d} people send {each:d} messages each as fast as they can")
def when_people_flood(context, people, each):
    """New people each send that many messages without waiting; counts accepted and refused."""
    crowd_people = context.cast.crowd(people)
    replies = context.suite.run(crowd.flood(crowd_people, each, FLOOD_WITHIN_S),
                                FLOOD_WITHIN_S + 10, "the flood")
    context.flood = list(zip(crowd_people, replies))
    accepted = sum(r.ack is not None for _, rs in context.flood for r in rs)
    refused = sum(r.error is not None and r.ack is None for _, rs in context.flood for r in rs)
    context.flood_counts = (accepted, refused)
    say(f"flood: {people * each} sent, {accepted} accepted, {refused} turned away")


@when("the model recovers")
def when_model_recovers(context):
    """The stalled model answers again, the held requests first."""
    context.suite.model.behave_like(stalled=False)


@then("every accepted message is answered exactly once")
def then_each_accepted_answered_once(context):
    """Every acked message gets done, and each conversation stores one reply per accepted
    message."""
    context.suite.run(crowd.finish_all(context.flood, ANSWERS_WITHIN_S), ANSWERS_WITHIN_S + 10,
                      "answers to the flood")
    problems, answered = [], 0
    for person, replies in context.flood:
        accepted = [r for r in replies if r.ack is not None]
        unanswered = [r.describe() for r in accepted if r.done is None]
        stored = person.history()
        answers = [row for row in stored if row["role"] == "assistant"]
        answered += len(answers)
        if unanswered:
            problems.append(f"{person.name}: {len(unanswered)} not answered, e.g. {unanswered[0]}")
        if len(answers) != len(accepted) or len({row["job_id"] for row in answers}) != len(answers):
            problems.append(f"{person.name}: {len(accepted)} accepted, {len(answers)} answers "
                            f"stored for {len({row['job_id'] for row in answers})} jobs")
    say(f"flood: {context.flood_counts[0]} accepted, {answered} answers stored")
    assert not problems, "; ".join(problems[:10])


@then("every turned-away message left nothing behind")
def then_turned_away_left_nothing(context):
    """No refused message is stored in PostgreSQL or queued in Redis."""
    turned_away = {r.client_message_id for _, rs in context.flood for r in rs if r.ack is None}
    stored = sum(1 for person, _ in context.flood
                 for row in person.history()
                 if row["client_message_id"] in turned_away)
    queued = context.suite.run(context.suite.queue.jobs_from(turned_away), 30, "the queue")
    say(f"flood: {len(turned_away)} turned away, {stored} of them stored, {len(queued)} queued")
    assert (stored, len(queued)) == (0, 0), f"{stored} stored and {len(queued)} queued"
