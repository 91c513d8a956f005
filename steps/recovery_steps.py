"""Workers that crash or stop, and a model that cannot answer.

    Given the assistant answers slowly
    Given the assistant takes 6 seconds to answer
    Given she has asked a question and the answer has started
    Given the model fails every time it is asked about "quicksand"
    When she asks for a long story
    When the worker writing her answer crashes
    When the worker writing her answer is asked to stop
    When a worker crashes
    When she sends 3 messages without waiting for the answers
    When the workers come back
    When Ada sends "Tell me about quicksand"
    When she asks 20 questions and the worker writing each answer crashes halfway
    Then she receives one complete answer, written again from the start
    Then she receives one complete answer, in a single attempt
    Then exactly one answer to her question is stored
    Then 2 workers are working again within 15 seconds
    Then each of her messages is answered once, in the order she sent them
    Then Grace gets her whole answer all the same
    Then Ada is told her message could not be answered
    Then her message was set aside after 3 attempts
    Then she has received 20 complete answers
    Then exactly 20 answers are stored in her conversation
"""

import signal

from behave import given, then, use_fixture, when

from support.answers import assert_complete
from support.console import say
from support.eventually import at_least, eventually_async
from support.fixtures import all_workers_back
from support.ledger import ANSWERED, sent_in, take_ledger
from support.model_requests import question_of

SLOW = {"chunks": 10, "chunk_delay_ms": 150}  # 1.5 s an answer: time to act in the middle
DEAD_LETTER_WITHIN_S = 60


def stored_answers(person, job_id):
    return [row for row in person.history()
            if row["role"] == "assistant" and str(row["job_id"]) == job_id]


def crash_holder(context, reply, signal_number=signal.SIGKILL):
    use_fixture(all_workers_back, context)
    return context.suite.run(context.suite.workers.signal_holder(reply.job_id, signal_number),
                             20, "signalling the worker holding her job")


@given("the assistant answers slowly")
def given_slow_answers(context):
    """The scriptable model answers in 10 pieces, 150 ms apart."""
    context.suite.model.behave_like(**SLOW)


@given("the assistant takes {seconds:d} seconds to answer")
def given_model_takes(context, seconds):
    """The scriptable model answers in 10 pieces spread over that many seconds: longer than
    the embedded stack's claim timeout (2 s), so only a worker that keeps its job from
    looking idle writes it once."""
    context.suite.model.behave_like(chunks=10, chunk_delay_ms=seconds * 100)


@when("she asks for a long story")
def when_she_asks_for_a_long_story(context):
    """She sends a question and it is acknowledged; the answer is awaited by the Then steps."""
    reply = context.cast.she.send("Tell me a long story")
    assert reply.ack is not None, reply.describe()


@given("she has asked a question and the answer has started")
def given_answer_started(context):
    """She sends a question and the first piece of the answer has arrived."""
    person = context.cast.she
    person.follow(person.send("Tell me a long story"), until="started", within_s=15)


@given('the model fails every time it is asked about "{topic}"')
def given_model_fails_on(context, topic):
    """The scriptable model refuses (HTTP 400) any message containing the topic."""
    context.poison_topic = topic
    context.suite.model.behave_like(poison_text=topic)


@when("the worker writing her answer crashes")
def when_worker_crashes(context):
    """SIGKILL to the worker process holding her job."""
    crash_holder(context, context.cast.she.last_reply)


@when("the worker writing her answer is asked to stop")
def when_worker_asked_to_stop(context):
    """SIGTERM to the worker process holding her job."""
    crash_holder(context, context.cast.she.last_reply, signal.SIGTERM)


@when("a worker crashes")
def when_a_worker_crashes(context):
    """SIGKILL to one live worker process."""
    use_fixture(all_workers_back, context)
    workers = context.suite.workers
    context.crashed = context.suite.run(workers.crash_any(), 20, "crashing a worker")


@when("she sends {count:d} messages without waiting for the answers")
def when_she_sends_several(context, count):
    """She sends that many numbered messages, each acked, without waiting for answers."""
    person = context.cast.she
    context.sent_in_order = [person.send(f"Message number {n}") for n in range(1, count + 1)]
    for reply in context.sent_in_order:
        assert reply.ack is not None, reply.describe()


@when("the workers come back")
def when_workers_come_back(context):
    """The paused workers are resumed (launcher SIGUSR2)."""
    context.suite.run(context.suite.workers.resume(), 40, "resuming the workers")


@when('{name} sends "{text}"')
def when_person_sends(context, name, text):
    """The named person sends the message; it is acked; no waiting for the answer."""
    reply = context.cast.person(name).send(text)
    assert reply.ack is not None, reply.describe()


@when("she asks {count:d} questions and the worker writing each answer crashes halfway")
def when_crash_every_answer(context, count):
    """For each question: wait for its first piece, SIGKILL the worker holding it, wait for the
    answer."""
    person = context.cast.she
    crashed = []
    for n in range(1, count + 1):
        reply = person.follow(person.send(f"Question {n}"), until="started", within_s=20)
        crashed.append(crash_holder(context, reply))
        person.follow(reply, within_s=40)
    say(f"crashed {len(crashed)} workers, {len(set(crashed))} distinct pids")


@then("she receives one complete answer, written again from the start")
def then_complete_after_restart(context):
    """The answer finishes with an attempt above 1, exactly its final attempt's pieces."""
    reply = context.cast.she.follow(context.cast.she.last_reply, within_s=40)
    assert_complete(reply)
    assert reply.done["attempt"] > 1, f"the answer was not restarted: {reply.describe()}"


@then("she receives one complete answer, in a single attempt")
def then_complete_in_one_attempt(context):
    """The answer finishes in attempt 1, exactly its pieces."""
    reply = context.cast.she.follow(context.cast.she.last_reply, within_s=40)
    assert_complete(reply)
    assert reply.done["attempt"] == 1, f"the answer was restarted: {reply.describe()}"


@then("exactly one answer to her question is stored")
def then_one_answer_stored(context):
    """The ledger finds every message she sent answered once; the reply stored for her job
    is the one she was shown."""
    person = context.cast.she
    take_ledger(context.suite, sent_in(context.cast), context.cast.connections).assert_all(ANSWERED)
    stored = stored_answers(person, person.last_reply.job_id)
    assert len(stored) == 1, f"{len(stored)} answers stored: {stored}"
    assert stored[0]["content"] == person.last_reply.content, stored


@then("{count:d} workers are working again within {seconds:d} seconds")
def then_workers_working_again(context, count, seconds):
    """Live workers other than the crashed one reach the count in time."""
    workers = context.suite.workers

    async def replaced():
        live = await workers.live_consumers()
        return len([name for name in live if name != context.crashed])
    context.suite.run(eventually_async(replaced, at_least(count), seconds,
                                       f"live workers other than {context.crashed}"),
                      seconds + 5, "waiting for the workers")


@then("each of her messages is answered once, in the order she sent them")
def then_answered_in_order(context):
    """Each message finishes; done frames come in the order sent; one stored reply each."""
    person = context.cast.she
    for reply in context.sent_in_order:
        assert_complete(person.follow(reply, within_s=60))
    job_order = [r.job_id for r in context.sent_in_order]
    done_order = [frame.data["job_id"] for frame in person.connection.frames
                  if frame.data and frame.data.get("type") == "done"]
    assert done_order == job_order, f"answers came for jobs {done_order}, sent {job_order}"
    for reply in context.sent_in_order:
        assert len(stored_answers(person, reply.job_id)) == 1, f"not one answer for {reply.job_id}"


@then("Grace gets her whole answer all the same")
def then_grace_answered(context):
    """Grace's message is answered in full, whenever Ada's failing one ends: the contract
    sets no time before a job is dead-lettered, so which of the two ends first is open."""
    grace = context.cast.person("Grace")
    reply = grace.follow(grace.last_reply)
    assert reply.done is not None and reply.error is None, reply.describe()
    assert_complete(reply)


@then("Ada is told her message could not be answered")
def then_ada_told_failure(context):
    """Ada's message ends with an llm_failed error, never a done."""
    ada = context.cast.person("Ada")
    reply = ada.follow(ada.last_reply, within_s=DEAD_LETTER_WITHIN_S)
    assert reply.done is None and reply.error is not None, reply.describe()
    assert reply.error.get("code") == "llm_failed", reply.error


@then("her message was set aside after {attempts:d} attempts")
def then_set_aside(context, attempts):
    """One dead letter for her job, and the model was asked at least that many times: once a
    delivery, or more if the engine also retries the model within a delivery."""
    reply = context.cast.she.last_reply
    dead = context.suite.run(context.suite.queue.dead_letters_for(reply.job_id), 10,
                             "reading the dead letters")
    assert len(dead) == 1, f"dead letters for job {reply.job_id}: {dead}"
    asked = [request for request in context.cast.model_requests()
             if context.poison_topic in (question_of(request) or "")]
    assert len(asked) >= attempts, (
        f"the model was asked {len(asked)} times, fewer than the {attempts} deliveries")


@then("she has received {count:d} complete answers")
def then_received_complete_answers(context, count):
    """She has that many replies, each complete in its final attempt."""
    replies = context.cast.she.replies
    assert len(replies) == count, f"she has {len(replies)} replies"
    for reply in replies:
        assert_complete(reply)


@then("exactly {count:d} answers are stored in her conversation")
def then_answers_stored(context, count):
    """The ledger finds that many messages, each answered once; her history holds that
    many replies."""
    ledger = take_ledger(context.suite, sent_in(context.cast), context.cast.connections)
    ledger.assert_all(ANSWERED)
    rows = [row for row in context.cast.she.history() if row["role"] == "assistant"]
    assert len(ledger.entries) == len(rows) == count, f"{len(rows)} answers stored"
