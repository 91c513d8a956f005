"""Redis, PostgreSQL and the engine's front end restart under traffic; the network slows.

    Given the assistant answers very slowly
    Given 3 people have each asked a question and the answers have started
    Given the engine reaches Redis and PostgreSQL over a network that adds 30 ms each way
    When Redis is down for 3 seconds while Grace sends a message
    When the engine's front end is killed and its launcher replaces it
    When Redis becomes unreachable
    When Redis is back
    When 3 people each ask 2 questions at the same time
    Then every answer that had started arrives complete
    Then Grace's message is answered, or refused with a clear error
    Then someone who starts a conversation now is answered
    Then the answer that was written while she was away is in her history
    Then Ada's message is refused with a clear error
    Then Ada's refused message left nothing behind
    Then Grace hears that her answer could not be delivered
    Then each answer took at least 250 ms
    Then nothing anyone sent was lost or answered twice
"""

from behave import given, then, use_fixture, when

from support.answers import assert_complete
from support.console import say
from support.eventually import WaitTimeout, eventually_async, truthy
from support.fixtures import servers_restored
from support.ledger import REFUSED, Sent, take_ledger

VERY_SLOW = {"chunks": 20, "chunk_delay_ms": 200}  # 4 s an answer: a restart fits inside
SERVERS = {"Redis": "redis", "PostgreSQL": "postgres"}
ANSWER_WITHIN_S = 90  # a restart, a claim timeout, a re-written answer, on a busy machine
SEND_WITHIN_S = 45  # a send during an outage may wait for the engine's own retries
QUESTION = "Tell me a long story"


def operate(context):
    """Every step that breaks a server first makes sure the scenario puts it back."""
    use_fixture(servers_restored, context)
    return context.suite.servers


@given("the assistant answers very slowly")
def given_very_slow(context):
    """The scriptable model answers in 20 pieces, 200 ms apart."""
    context.suite.model.behave_like(**VERY_SLOW)


@given("{count:d} people have each asked a question and the answers have started")
def given_people_answers_started(context, count):
    """New people, each in a new conversation, send a question; each answer has begun."""
    people = context.cast.crowd(count)
    for person in people:
        person.post(QUESTION)
    for person in people:
        person.follow(person.last_reply, until="started", within_s=30)


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
        context.sent_during_outage = grace.post("Are you still there?")
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


@when("Redis is back")
def when_redis_back(context):
    """Redis starts again on its port with its data."""
    context.suite.servers.start("redis")


@when("{count:d} people each ask {questions:d} questions at the same time")
def when_people_ask_at_once(context, count, questions):
    """New people each send that many questions at once; every reply is followed."""
    people = context.cast.crowd(count)
    for person in people:
        for n in range(1, questions + 1):
            person.post(f"Question {n} from {person.name}")


@then("every answer that had started arrives complete")
def then_every_answer_complete(context):
    """Each message sent by the people of the crowd ends in done, complete in its final
    attempt and exactly what the model wrote for it."""
    from support.answers import assert_answered_as_written
    for person in context.cast.people.values():
        if person.name.startswith("Person "):
            replies = [person.follow(reply, within_s=ANSWER_WITHIN_S)
                       for _text, reply in person.exchanges_here()]
            assert_answered_as_written(person, replies, context.cast.model_requests())


@then("Grace's message is answered, or refused with a clear error")
def then_grace_answered_or_refused(context):
    """Grace's message ends in done, or in an error frame with a code and a message."""
    grace = context.cast.person("Grace")
    reply = grace.follow(context.sent_during_outage, within_s=ANSWER_WITHIN_S)
    if reply.done is None:
        assert reply.error.get("code") and reply.error.get("message"), reply.describe()
    say(f"Grace's message sent during the outage: {reply.describe()}")


@then("someone who starts a conversation now is answered")
def then_newcomer_answered(context):
    """A new person connects, asks, and gets a complete answer (the engine recovered)."""
    newcomer = context.cast.person("Hedy")
    newcomer.start_conversation()
    assert_complete(newcomer.ask("Are you back?", within_s=ANSWER_WITHIN_S))


@then("the answer that was written while she was away is in her history")
def then_answer_in_history(context):
    """One reply to her message is stored in her conversation, found after reconnecting."""
    person = context.cast.she
    job_id = person.last_reply.job_id

    async def stored():
        rows = await context.suite.db.messages(person.conversation_id)
        return [row for row in rows if row["role"] == "assistant" and str(row["job_id"]) == job_id]
    rows = context.suite.run(eventually_async(stored, truthy("her answer stored"), ANSWER_WITHIN_S,
                                              "her answers in history"),
                             ANSWER_WITHIN_S + 5, "reading her history")
    assert len(rows) == 1, f"{len(rows)} answers stored for job {job_id}"


@then("Ada's message is refused with a clear error")
def then_ada_refused(context):
    """Ada sends while Redis is away: an error with a code and a message, and no ack."""
    ada = context.cast.person("Ada")
    reply = ada.ask("Is anyone there?", within_s=SEND_WITHIN_S)
    assert reply.ack is None and reply.error is not None, reply.describe()
    assert reply.error.get("code") and reply.error.get("message"), reply.error


@then("Ada's refused message left nothing behind")
def then_ada_left_nothing(context):
    """The ledger finds her refused message neither stored nor queued."""
    ada = context.cast.person("Ada")
    take_ledger(context.suite, [Sent(ada.conversation_id, ada.last_reply)], [], 5
                ).assert_all(REFUSED)


@then("Grace hears that her answer could not be delivered")
def then_grace_told(context):
    """Her reply ends, while Redis is still away, in an error with a code and a message."""
    grace = context.cast.person("Grace")
    reply = grace.follow(grace.last_reply, within_s=ANSWER_WITHIN_S)
    assert reply.error is not None and reply.done is None, reply.describe()
    assert reply.error.get("code") and reply.error.get("message"), reply.error


@then("each answer took at least {ms:d} ms")
def then_answers_took(context, ms):
    """From sending to the done frame, each answer took that long: the slow network is in
    the path (and the proxies carried connections)."""
    assert context.suite.servers.proxied_connections() > 0, "no connection went through the proxies"
    for person in context.cast.people.values():
        for _text, reply in person.exchanges_here():
            took = answer_time_ms(context.cast.transcript, person, reply)
            assert took >= ms, f"{person.name}'s answer took {took} ms"


def answer_time_ms(transcript, person, reply) -> int:
    """Milliseconds from the frame that sent the message to its done frame."""
    sent = [frame.at_ms for frame in transcript.frames
            if frame.direction == "sent" and reply.client_message_id in frame.text]
    done = person.connection.arrival_of(reply, "done")
    assert sent and done is not None, reply.describe()
    return done.at_ms - sent[0]
