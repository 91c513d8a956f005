"""Redis, PostgreSQL and the engine's front end restart under traffic; the network slows.
(Servers that stay away: outage_steps.py.)

    Given the assistant answers very slowly
    Given 3 people have each asked a question and the answers have started
    Given the engine reaches Redis and PostgreSQL over a network that adds 30 ms each way
    When Redis is down for 3 seconds
    When the engine's front end is killed and its launcher replaces it
    When 3 people each ask 2 questions at the same time
    Then every answer that had started arrives complete
    Then someone who starts a conversation now is answered
    Then the answer that was written while she was away is in her history
    Then each message was confirmed, no sooner than 60 ms after it went out to PostgreSQL and to Redis
"""

import math

from behave import given, then, when

from support.people.answers import assert_answered_as_written, assert_as_written, assert_stored_as_written
from support.console import say
from support.people.outages import SERVERS
from support.stack.fixtures import operate

# 200 ms a piece, up to 20 pieces: the dozen-word answers here take about 3 s, and an
# outage of 3 s outlasts what is left of them once they have started.
VERY_SLOW = {"chunks": 20, "chunk_delay_ms": 200}
ANSWER_WITHIN_S = 90  # a restart, a claim timeout, a re-written answer, on a busy machine
SEND_WITHIN_S = 45  # a send during an outage may wait for the engine's own retries
QUESTION = "Tell me a long story"
TO_NEWCOMER = "Are you back?"


@given("the assistant answers very slowly")
def given_very_slow(context):
    """The scriptable model answers in up to 20 pieces, each 200 ms after the one before."""
    context.suite.model.behave_like(**VERY_SLOW)


@given("{count:d} people have each asked a question and the answers have started")
def given_people_answers_started(context, count):
    """New people, each in a new conversation, send a question; the first piece of each
    answer has arrived."""
    people = context.cast.crowd(count)
    for person in people:
        person.post(QUESTION)
    for person in people:
        person.follow(person.last_reply, until="started", within_s=30)
        assert person.last_reply.chunks, f"{person.name}'s answer did not start: " + (
            person.last_reply.describe())


@given("the engine reaches Redis and PostgreSQL over a network that adds {delay:d} ms each way")
def given_slow_network(context, delay):
    """The engine restarts behind two latency proxies on loopback."""
    operate(context).slow_network(delay)


@when("{server} is down for {seconds:d} seconds")
def when_server_down(context, server, seconds):
    """The server stops (Redis writes its append-only file first), and after that many
    seconds starts again on its port with its data."""
    operate(context).outage(SERVERS[server], seconds)


@when("the engine's front end is killed and its launcher replaces it")
def when_api_killed(context):
    """SIGKILL to the API process; returns once a new one answers its health check and her
    connection has closed."""
    killed, replaced = operate(context).kill_api()
    person = context.cast.she
    code = context.suite.run(person.connection.wait_closed(10), 15, "her connection closing")
    say(f"API pid {killed} killed, pid {replaced} replaced it; her connection closed ({code})")


@when("{count:d} people each ask {questions:d} questions at the same time")
def when_people_ask_at_once(context, count, questions):
    """New people each send that many questions, all one right after the other, without
    waiting for any answer; the Then steps follow the replies."""
    people = context.cast.crowd(count)
    for person in people:
        for n in range(1, questions + 1):
            person.post(f"Question {n} from {person.name}")


@then("every answer that had started arrives complete")
def then_every_answer_complete(context):
    """Each message sent by the people of the crowd ends in done, complete in its final
    attempt and exactly what the model wrote for it."""
    for person in context.cast.people.values():
        if person.name.startswith("Person "):
            replies = [person.follow(reply, within_s=ANSWER_WITHIN_S)
                       for _text, reply in person.exchanges_here()]
            assert_answered_as_written(person, replies, context.cast.model_requests())


@then("someone who starts a conversation now is answered")
def then_newcomer_answered(context):
    """A new person connects and asks; her answer is complete, is what the model wrote, and
    is stored once (the engine recovered)."""
    newcomer = context.cast.person("Hedy")
    newcomer.start_conversation()
    reply = newcomer.ask(TO_NEWCOMER, within_s=ANSWER_WITHIN_S)
    assert_answered_in_full(context, newcomer, reply, TO_NEWCOMER)


def assert_answered_in_full(context, person, reply, question: str):
    """Done, complete, exactly what the model wrote for the question, and stored once for
    its job with that text (a done frame says the reply is stored: contract 3)."""
    assert_as_written(reply, question, context.cast.model_requests())
    stored = context.suite.run(stored_answers(context, person, reply.job_id), 10,
                               f"reading {person.name}'s history")
    assert [row["content"] for row in stored] == [reply.content], (
        f"{len(stored)} replies stored for job {reply.job_id}: "
        f"{[row['content'] for row in stored]!r}; she was shown {reply.content!r}")


async def stored_answers(context, person, job_id: str) -> list:
    rows = await context.suite.db.messages(person.conversation_id)
    return [row for row in rows if row["role"] == "assistant" and str(row["job_id"]) == job_id]


@then("the answer that was written while she was away is in her history")
def then_answer_in_history(context):
    """Found after reconnecting: exactly one reply to her message is stored in her
    conversation, and it is the whole answer the model wrote for her question."""
    person = context.cast.she
    assert_stored_as_written(person, person.last_reply, ANSWER_WITHIN_S)


@then("each message was confirmed, no sooner than {ms:d} ms after it went out to PostgreSQL "
      "and to Redis")
def then_confirmed_after_round_trips(context, ms):
    """Every message sent got its ack, and the ack arrived at least `ms` after the message's
    id first went through the slow network towards PostgreSQL, and `ms` after it went
    towards Redis. The ack says the message is stored and queued (contract 3), so it follows
    an answer of each server about that message, and no answer comes back sooner than two
    crossings of the slow network: `ms` may be at most twice its delay."""
    servers = context.suite.servers
    delay = servers.network_delay_ms()
    assert ms <= 2 * delay, (f"the network adds {delay} ms each way: no server's answer is "
                             f"held up by more than {2 * delay} ms, so {ms} ms is not promised")
    started = context.cast.transcript.started
    waits = []
    for person in context.cast.people.values():
        for _text, reply in person.exchanges_here():
            person.follow(reply, until="answered_or_refused", within_s=SEND_WITHIN_S)
            ack = person.connection.arrival_of(reply, "ack")
            assert ack is not None, f"{person.name}'s message was not confirmed: {reply.describe()}"
            for server, went in servers.first_sent(reply.client_message_id.encode()).items():
                assert went is not None, (
                    f"{person.name}'s message {reply.client_message_id} was confirmed at "
                    f"{ack.at_ms} ms, yet its id never went out to {server} through the slow "
                    "network")
                went_ms = (went - started) * 1000
                # The transcript's times are whole milliseconds, rounded down.
                assert ack.at_ms >= math.floor(went_ms + ms), (
                    f"{person.name}'s message {reply.client_message_id} was confirmed at "
                    f"{ack.at_ms} ms, {round(ack.at_ms - went_ms)} ms after it went out to {server} "
                    f"at {went_ms:.0f} ms: sooner than {server} could have answered ({ms} ms)")
                waits.append(ack.at_ms - went_ms)
    say(f"{len(waits) // 2} messages confirmed {min(waits):.0f} to {max(waits):.0f} ms after "
        f"they went out to each server (at least {ms} ms)")
