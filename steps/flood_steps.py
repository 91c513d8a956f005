"""A flood of messages against a stalled model.

    Given the model has stalled
    When 200 people send 10 messages each as fast as they can
    When the model has been asked the first message of each of them
    When the model recovers
    Then every message of the flood is answered exactly once
"""

from behave import given, then, use_fixture, when

from support.people import crowd
from support.console import say
from support.eventually import equal_to, eventually
from support.stack.fixtures import stalled_model
from support.probes.ledger import take_ledger
from support.probes.ledger_judge import ANSWERED, Sent
from support.model.sent import question_of

FLOOD_WITHIN_S = 300  # every message taken or turned away, on a busy machine
HELD_WITHIN_S = 60  # the workers read 2000 jobs and pass each conversation's first on
ANSWERS_WITHIN_S = 300  # 2000 answers, 10 one after another in each conversation


@given("the model has stalled")
def given_model_stalled(context):
    """The model takes requests and answers none until it recovers."""
    use_fixture(stalled_model, context)


@when("{people:d} people send {each:d} messages each as fast as they can")
def when_people_flood(context, people, each):
    """New people, each on her own connection, send that many messages back to back; wait
    until every one is taken or turned away."""
    flooders = context.cast.crowd(people)
    replies = context.suite.run(crowd.flood(flooders, each, FLOOD_WITHIN_S),
                                FLOOD_WITHIN_S + 10, "the flood")
    context.flood = list(zip(flooders, replies))
    accepted = sum(reply.ack is not None for _, rs in context.flood for reply in rs)
    say(f"flood: {people * each} sent, {accepted} taken")


@when("the model has been asked the first message of each of them")
def when_model_asked_first_messages(context):
    """Among the requests the model recorded since the scenario began, the first message of
    every flooding person is the question of one (a stalled model answers none)."""
    firsts = {f"Flood message 1 from {person.name}" for person, _ in context.flood}  # crowd.flood's

    def held() -> int:
        asked = {question_of(request) for request in context.cast.model_requests()}
        return len(firsts & asked)
    eventually(held, equal_to(len(firsts)), HELD_WITHIN_S,
               "first messages of the flood the model is holding", interval_s=0.5)


@when("the model recovers")
def when_model_recovers(context):
    """The stalled model answers again, the held requests first."""
    context.suite.model.behave_like(stalled=False)


@then("every message of the flood is answered exactly once")
def then_flood_answered_once(context):
    """The ledger waits until no message of the flood is queued and every open connection
    has been told how each of its messages ended, then finds each one answered once: stored
    once, one reply stored, its done shown once on its connection; none failed, refused,
    lost or duplicated."""
    sent = [Sent(person.conversation_id, reply, person.connection)
            for person, replies in context.flood for reply in replies]
    take_ledger(context.suite, sent, context.cast.connections, ANSWERS_WITHIN_S
                ).assert_all(ANSWERED)
