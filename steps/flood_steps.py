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
from support.ledger import ANSWERED, REFUSED, REFUSED_BUT_KEPT, Sent, take_ledger

FLOOD_WITHIN_S = 300
ANSWERS_WITHIN_S = 600
LEDGER_WITHIN_S = 60


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
    """Every acked message gets done; the ledger finds each accepted message answered once
    and nothing lost or duplicated."""
    context.suite.run(crowd.finish_all(context.flood, ANSWERS_WITHIN_S), ANSWERS_WITHIN_S + 10,
                      "answers to the flood")
    context.flood_ledger = take_ledger(context.suite, flood_sent(context.flood),
                                       context.cast.connections, LEDGER_WITHIN_S)
    context.flood_ledger.assert_nothing_lost_or_duplicated()
    answered = len(context.flood_ledger.of(ANSWERED))
    assert answered == context.flood_counts[0], (
        f"{context.flood_counts[0]} accepted, {answered} answered once; "
        f"{context.flood_ledger.summary()}")


@then("every turned-away message left nothing behind")
def then_turned_away_left_nothing(context):
    """The ledger finds every turned-away message refused with nothing stored or queued."""
    ledger = context.flood_ledger
    refused = len(ledger.of(REFUSED))
    assert refused == context.flood_counts[1] and not ledger.of(REFUSED_BUT_KEPT), (
        f"{context.flood_counts[1]} turned away, {refused} left nothing; {ledger.summary()}")


def flood_sent(flood) -> list[Sent]:
    return [Sent(person.conversation_id, reply) for person, replies in flood for reply in replies]
