"""The queue filling up and the engine pushing back.

    Given the assistant's workers are paused
    Given 3000 messages are already waiting for an answer
    Given she has sent a message that was turned away
    When she sends a message
    When the waiting messages are cleared and the assistant catches up
    When 50 people each send a message at the same moment
    Then her message is accepted
    Then her message is answered
    Then her message was answered without a busy notice
    Then she is told the assistant is busy
    Then she is told the assistant is overloaded and when to try again
    Then nothing of her message was kept
    Then still 5000 messages are waiting
    Then her connection is still open
    Then exactly 10 of their messages are accepted and 40 are turned away
    Then the number of waiting messages never went above 5000
"""

from behave import given, then, use_fixture, when

from support.people import crowd
from support.stack.fixtures import paused_workers, restore_queue

QUESTION = "Is anyone there?"


@given("the assistant's workers are paused")
def given_workers_paused(context):
    """No worker takes jobs; messages still queue. Undone after the scenario."""
    use_fixture(paused_workers, context)


@given("{count:d} messages are already waiting for an answer")
def given_messages_waiting(context, count):
    """Filler jobs bring the queue depth to exactly that number (workers paused)."""
    context.suite.run(context.suite.filler.fill_to(count), 60, f"filling the queue to {count}")


@given("she has sent a message that was turned away")
def given_she_was_turned_away(context):
    """She sends a message and the engine refuses it as overloaded."""
    reply = context.cast.she.send(QUESTION)
    assert reply.error and reply.error.get("code") == "overloaded", reply.describe()


@when("she sends a message")
def when_she_sends_a_message(context):
    """She sends and waits only until the engine has taken or turned away her message."""
    context.cast.she.send(QUESTION)


@when("the waiting messages are cleared and the assistant catches up")
def when_queue_clears(context):
    """The filler goes, the workers resume, and the queue drains to empty."""
    restore_queue(context.suite)


@when("{count:d} people each send a message at the same moment")
def when_people_send_at_once(context, count):
    """New people, each in her own conversation, send at once; the queue depth is sampled
    meanwhile."""
    people = context.cast.crowd(count)
    replies, peak = context.suite.run(
        context.suite.queue.peak_depth_during(crowd.send_at_once(people, QUESTION, 30)),
        45, f"{count} people sending at once")
    context.crowd_replies, context.peak_depth = replies, peak


@then("her message is accepted")
def then_her_message_is_accepted(context):
    """An ack and no error for her last message."""
    reply = context.cast.she.last_reply
    assert reply.ack is not None and reply.error is None, reply.describe()


@then("her message is answered")
def then_her_message_is_answered(context):
    """Her last message gets a finished answer (done)."""
    reply = context.cast.she.follow(context.cast.she.last_reply)
    assert reply.done is not None, reply.describe()


@then("her message was answered without a busy notice")
def then_answered_without_notice(context):
    """The notice would come before the answer, so a finished answer without one proves none."""
    reply = context.cast.she.follow(context.cast.she.last_reply)
    assert reply.done is not None, reply.describe()
    assert reply.notices == [], f"unexpected notices: {reply.notices}"


@then("she is told the assistant is busy")
def then_told_busy(context):
    """A queue_busy notice arrives for her last message."""
    reply = context.cast.she.follow(context.cast.she.last_reply, until="notices", within_s=10)
    codes = [notice.get("code") for notice in reply.notices]
    assert codes == ["queue_busy"], f"notices were {reply.notices}"


@then("she is told the assistant is overloaded and when to try again")
def then_told_overloaded(context):
    """No ack; an overloaded error with a positive retry_after in seconds."""
    reply = context.cast.she.last_reply
    assert reply.ack is None, f"the message was accepted: {reply.describe()}"
    error = reply.error or {}
    assert error.get("code") == "overloaded", f"expected an overloaded error: {reply.describe()}"
    retry_after = error.get("retry_after")
    assert isinstance(retry_after, (int, float)) and retry_after > 0, (
        f"retry_after should be a positive number of seconds: {error}")


@then("nothing of her message was kept")
def then_nothing_kept(context):
    """No row in her conversation and no job in the queue for her refused message."""
    person = context.cast.she
    reply = person.last_reply
    assert reply.error is not None, f"the message was not turned away: {reply.describe()}"
    stored = person.history()
    queued = context.suite.run(context.suite.queue.jobs_from({reply.client_message_id}), 30,
                               "looking for her job")
    assert stored == [], f"her conversation stores {stored}"
    assert queued == [], f"the queue holds {queued}"


@then("still {count:d} messages are waiting")
def then_still_waiting(context, count):
    """The queue depth is exactly that number."""
    depth = context.suite.run(context.suite.queue.depth(), 10, "queue depth")
    assert depth == count, f"queue depth is {depth}, expected {count}"


@then("her connection is still open")
def then_connection_open(context):
    """The engine has not closed her WebSocket, and still reads it: it answers a ping."""
    connection = context.cast.she.connection
    problem = context.suite.run(connection.answers_ping(5), 10, "pinging her connection")
    assert problem is None, f"her connection is not open: {problem}"


@then("exactly {accepted:d} of their messages are accepted and {refused:d} are turned away")
def then_exactly_accepted(context, accepted, refused):
    """Counts the acks and overloaded errors of the people who sent at once."""
    replies = context.crowd_replies
    taken = [r for r in replies if r.ack is not None]
    turned_away = [r for r in replies if r.error and r.error.get("code") == "overloaded"]
    assert (len(taken), len(turned_away)) == (accepted, refused), (
        f"{len(taken)} accepted, {len(turned_away)} turned away, "
        f"{len(replies) - len(taken) - len(turned_away)} neither")


@then("the number of waiting messages never went above {limit:d}")
def then_depth_never_above(context, limit):
    """The highest queue depth sampled while they sent."""
    assert context.peak_depth <= limit, f"the queue depth reached {context.peak_depth}"
