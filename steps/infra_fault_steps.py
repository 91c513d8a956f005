"""Redis, PostgreSQL and the engine's front end restart under traffic; the network slows.

    Given the assistant answers very slowly
    Given 3 people have each asked a question and the answers have started
    Given the engine reaches Redis and PostgreSQL over a network that adds 30 ms each way
    When Redis is down for 3 seconds while Grace sends a message
    When the engine's front end is killed and its launcher replaces it
    When Redis becomes unreachable
    When Ada sends a message while Redis is away
    When Redis is back
    When 3 people each ask 2 questions at the same time
    Then every answer that had started arrives complete
    Then Grace's message is either answered in full or refused with nothing kept
    Then someone who starts a conversation now is answered
    Then the answer that was written while she was away is in her history
    Then Ada's message is refused with a clear error
    Then Ada's refused message left nothing behind
    Then Grace hears that her answer could not be delivered
    Then each message was confirmed, no sooner than 60 ms after it went out to PostgreSQL and to Redis

A clear error (contract, section 3) has a code and a sentence, and names the message it is
about. When a server is away the code is `internal` ("anything else"): none of the
contract's other codes (a bad frame, too fast, a full queue, the model failing, a sign-in
run out) says why.
"""

import math

from behave import given, then, use_fixture, when

from support.answers import (assert_answered_as_written, assert_as_written, assert_failed,
                             model_wrote, question_for)
from support.console import say
from support.eventually import WaitTimeout, eventually_async, truthy
from support.fixtures import servers_restored
from support.ledger import REFUSED, Sent, take_ledger

# 200 ms a piece, up to 20 pieces: the dozen-word answers here take about 3 s, and an
# outage of 3 s outlasts what is left of them once they have started.
VERY_SLOW = {"chunks": 20, "chunk_delay_ms": 200}
SERVERS = {"Redis": "redis", "PostgreSQL": "postgres"}
ANSWER_WITHIN_S = 90  # a restart, a claim timeout, a re-written answer, on a busy machine
SEND_WITHIN_S = 45  # a send during an outage may wait for the engine's own retries
QUESTION = "Tell me a long story"
DURING_OUTAGE = "Are you still there?"  # Grace's message while a server is down
TO_ADA = "Is anyone there?"  # Ada's message while Redis is away
TO_NEWCOMER = "Are you back?"
OUTAGE_CODE = "internal"  # see above: the contract's code for a server that is away


def operate(context):
    """Every step that breaks a server first makes sure the scenario puts it back."""
    use_fixture(servers_restored, context)
    return context.suite.servers


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


@when("{server} is down for {seconds:d} seconds while Grace sends a message")
def when_server_down_during_send(context, server, seconds):
    """The server stops (Redis writes its append-only file first), Grace sends a message and
    the engine takes or refuses it, and after that many seconds the server starts again on
    its port with its data."""
    grace = context.cast.person("Grace")

    def grace_sends():
        context.sent_during_outage = grace.post(DURING_OUTAGE)
        try:
            grace.follow(context.sent_during_outage, until="answered_or_refused",
                         within_s=seconds)
        except WaitTimeout:
            pass  # an engine may hold the message until the server is back; checked later
    operate(context).outage(SERVERS[server], seconds, grace_sends)


@when("the engine's front end is killed and its launcher replaces it")
def when_api_killed(context):
    """SIGKILL to the API process; returns once a new one answers its health check and her
    connection has closed."""
    killed, replaced = operate(context).kill_api()
    person = context.cast.she
    code = context.suite.run(person.connection.wait_closed(10), 15, "her connection closing")
    say(f"API pid {killed} killed, pid {replaced} replaced it; her connection closed ({code})")


@when("Redis becomes unreachable")
def when_redis_unreachable(context):
    """Redis stops, and stays stopped until it is back."""
    operate(context).stop("redis")


@when("Ada sends a message while Redis is away")
def when_ada_sends(context):
    """Ada sends a message; the Then steps wait for what the engine says of it."""
    context.cast.person("Ada").post(TO_ADA)


@when("Redis is back")
def when_redis_back(context):
    """Redis starts again on its port with its data."""
    context.suite.servers.start("redis")


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


@then("Grace's message is either answered in full or refused with nothing kept")
def then_grace_answered_or_refused(context):
    """Exactly one of the two ends allowed for a message sent while a server is down.
    Answered in full: acknowledged, then a done and no error; the answer is what the model
    wrote for her message, and exactly one reply is stored for its job. Refused: no ack, a
    clear `internal` error, and neither her message stored nor its job queued."""
    grace = context.cast.person("Grace")
    reply = grace.follow(context.sent_during_outage, within_s=ANSWER_WITHIN_S)
    say(f"Grace's message sent during the outage: {reply.describe()}")
    if reply.ack is None:
        assert_refused_clearly(reply)
        take_ledger(context.suite, [Sent(grace.conversation_id, reply)],
                    context.cast.connections, 5).assert_all(REFUSED)
    else:
        assert reply.error is None, f"acknowledged, then failed: {reply.describe()}"
        assert_answered_in_full(context, grace, reply, DURING_OUTAGE)


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


def assert_refused_clearly(reply):
    """Never acknowledged; an error with the outage code and a sentence, naming her message."""
    assert reply.ack is None and reply.error is not None, reply.describe()
    error = reply.error
    assert error.get("code") == OUTAGE_CODE, f"told {error}, expected code {OUTAGE_CODE}"
    assert isinstance(error.get("message"), str) and error["message"].strip(), (
        f"the error says nothing: {error}")
    assert error.get("client_message_id") == reply.client_message_id, (
        f"the error names message {error.get('client_message_id')!r}, "
        f"hers is {reply.client_message_id!r}")


@then("the answer that was written while she was away is in her history")
def then_answer_in_history(context):
    """Found after reconnecting: exactly one reply to her message is stored in her
    conversation, and it is the whole answer the model wrote for her question."""
    person = context.cast.she
    job_id = person.last_reply.job_id
    rows = context.suite.run(eventually_async(lambda: stored_answers(context, person, job_id),
                                              truthy("her answer stored"), ANSWER_WITHIN_S,
                                              "her answers in history"),
                             ANSWER_WITHIN_S + 5, "reading her history")
    written = model_wrote(context.cast.model_requests(),
                          question_for(person, person.last_reply))
    assert [row["content"] for row in rows] in [[text] for text in written], (
        f"stored for job {job_id}: {[row['content'] for row in rows]!r}; the model wrote "
        f"{sorted(set(written))!r}")


@then("Ada's message is refused with a clear error")
def then_ada_refused(context):
    """Within 45 s of sending: no ack, and an `internal` error with a sentence, naming her
    message."""
    ada = context.cast.person("Ada")
    assert_refused_clearly(ada.follow(ada.last_reply, until="answered_or_refused",
                                      within_s=SEND_WITHIN_S))


@then("Ada's refused message left nothing behind")
def then_ada_left_nothing(context):
    """The ledger finds her refused message neither stored nor queued."""
    ada = context.cast.person("Ada")
    take_ledger(context.suite, [Sent(ada.conversation_id, ada.last_reply)],
                context.cast.connections, 5).assert_all(REFUSED)


@then("Grace hears that her answer could not be delivered")
def then_grace_told(context):
    """Her acknowledged message ends, while Redis is still away, in an `internal` error with
    a sentence, naming her message by its job and her id, and no done."""
    grace = context.cast.person("Grace")
    assert_failed(grace.follow(grace.last_reply, within_s=ANSWER_WITHIN_S), OUTAGE_CODE)


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
