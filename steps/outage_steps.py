"""Redis or PostgreSQL stays away: what people are told, and what is kept (docs/contract.md,
section 3, "When Redis or PostgreSQL is away"; the close 1013 of section 1 is in
access_steps.py, with the other refusals of a connection).

    When Redis becomes unreachable
    When Ada sends a message while Redis is away
    When PostgreSQL is back
    Then Ada is told her message could not be taken for now, and when to try again
    Then nothing of Ada's message was kept, in PostgreSQL or in Redis
    Then Grace is told her answer cannot be passed on for now, and when to try again
    Then her answer is kept in her history
"""

from behave import register_type, then, when
from parse_type import TypeBuilder

from support.people.answers import assert_stored_as_written
from support.people.outages import (REFUSED_WITHIN_S, SERVERS, TOLD_WITHIN_S,
                                    assert_cut_off_for_now, assert_refused_for_now)
from support.stack.fixtures import operate
from support.probes.ledger import take_ledger
from support.probes.ledger_judge import REFUSED, Sent

TO_ADA = "Is anyone there?"  # her message while a server is away

register_type(Server=TypeBuilder.make_choice(list(SERVERS)))


@when("{server:Server} becomes unreachable")
def when_server_unreachable(context, server):
    """The server stops, and stays stopped until it is back."""
    operate(context).stop(SERVERS[server])


@when("{server:Server} is back")
def when_server_back(context, server):
    """The server starts again on its port with its data."""
    context.suite.servers.start(SERVERS[server])


@when("{name} sends a message while {server:Server} is away")
def when_sends_while_away(context, name, server):
    """She sends a message; the Then steps wait for what the engine says of it."""
    context.cast.person(name).post(TO_ADA)


@then("{name} is told her message could not be taken for now, and when to try again")
def then_refused_for_now(context, name):
    """Within 45 s of sending, while the server is still away: no ack, and an `unavailable`
    error with a sentence and a whole retry_after of at least 1, naming her message."""
    person = context.cast.person(name)
    assert_refused_for_now(person.follow(person.last_reply, until="answered_or_refused",
                                         within_s=REFUSED_WITHIN_S))


@then("nothing of {name}'s message was kept, in PostgreSQL or in Redis")
def then_nothing_kept_anywhere(context, name):
    """Once the server is back, the ledger finds her refused message with no row in
    PostgreSQL, no job in the queue, no reply and no dead letter."""
    person = context.cast.person(name)
    take_ledger(context.suite, [Sent(person.conversation_id, person.last_reply)],
                context.cast.connections, 5).assert_all(REFUSED)


@then("{name} is told her answer cannot be passed on for now, and when to try again")
def then_cut_off_for_now(context, name):
    """While Redis is still away, within 90 s: her acknowledged message ends in an
    `unavailable` error with a sentence and a whole retry_after of at least 1, naming her
    message by its job and her id, and no done."""
    person = context.cast.person(name)
    assert_cut_off_for_now(person.follow(person.last_reply, within_s=TOLD_WITHIN_S))


@then("her answer is kept in her history")
def then_answer_kept(context):
    """Within 90 s: exactly one reply to her last message is stored for its job, and it is
    the whole answer the model wrote for her question."""
    person = context.cast.she
    assert_stored_as_written(person, person.last_reply, TOLD_WITHIN_S)
