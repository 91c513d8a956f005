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
    Then the engine tried her message 3 times before giving up on it
    Then while its answer was written, her message never looked abandoned
    Then the engine's copy of what it sent her is deleted within 5 minutes
    Then she has received 20 complete answers
    Then exactly 20 answers are stored in her conversation
"""

import asyncio
import signal

from behave import fixture, given, then, use_fixture, when

from support.people.answers import assert_answered_as_written, assert_as_written, assert_failed, question_for
from support.console import say
from support.eventually import equal_to, eventually_async
from support.stack.fixtures import all_workers_back
from support.probes.ledger import sent_in, take_ledger
from support.probes.ledger_judge import ANSWERED
from support.model.sent import requests_about
from support.probes.job_queue import result_stream_ttl_ms, watch_job
from support.stack.engine import ENGINE_SETTINGS

SLOW = {"chunks": 10, "chunk_delay_ms": 150}  # 1.5 s an answer: time to act in the middle
DEAD_LETTER_WITHIN_S = 60
WATCH_WITHIN_S = 60  # a 6 s answer on a busy machine
# The embedded stack's claim timeout (contract, section 7): a job idle this long looks
# abandoned, and another worker may take it over.
CLAIM_TIMEOUT_MS = int(ENGINE_SETTINGS["CLAIM_TIMEOUT_MS"])


def stored_answers(person, job_id):
    return [row for row in person.history()
            if row["role"] == "assistant" and str(row["job_id"]) == job_id]


@fixture
def watched_jobs(context):
    """Jobs watched in Redis in the background (support.probes.job_queue.watch_job), by job id;
    each watch still running is stopped when the scenario ends."""
    context.watches = {}
    yield context.watches
    for watch in context.watches.values():
        watch.cancel()


def watch(context, job_id: str):
    """Start watching the job on the suite's event loop; a Then step reads what it saw."""
    if not hasattr(context, "watches"):
        use_fixture(watched_jobs, context)
    context.watches[job_id] = asyncio.run_coroutine_threadsafe(
        watch_job(context.suite.queue, job_id, WATCH_WITHIN_S), context.suite.loop.loop)


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
    """She sends a question and it is acknowledged; from then on her job is watched in Redis
    until it is acknowledged. The answer is awaited by the Then steps."""
    reply = context.cast.she.send("Tell me a long story")
    assert reply.ack is not None, reply.describe()
    watch(context, reply.job_id)


@given("she has asked a question and the answer has started")
def given_answer_started(context):
    """She sends a question and the first piece of the answer has arrived."""
    person = context.cast.she
    person.follow(person.send("Tell me a long story"), until="started", within_s=15)


@given('the model fails every time it is asked about "{topic}"')
def given_model_fails_on(context, topic):
    """The scriptable model refuses (HTTP 400) any message containing the topic."""
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


def her_whole_answer(context):
    """Her last reply, finished, complete and exactly what the model wrote for it."""
    person = context.cast.she
    reply = person.follow(person.last_reply, within_s=40)
    assert_as_written(reply, question_for(person, reply), context.cast.model_requests())
    return reply


@then("she receives one complete answer, written again from the start")
def then_complete_after_restart(context):
    """The answer finishes with an attempt above 1, exactly its final attempt's pieces, and
    is the whole of what the model wrote."""
    reply = her_whole_answer(context)
    assert reply.done["attempt"] > 1, f"the answer was not restarted: {reply.describe()}"


@then("she receives one complete answer, in a single attempt")
def then_complete_in_one_attempt(context):
    """The answer finishes in attempt 1, exactly its pieces, and is the whole of what the
    model wrote."""
    reply = her_whole_answer(context)
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
    """Live workers other than the crashed one come back to exactly that count in time."""
    workers = context.suite.workers

    async def replaced():
        live = await workers.live_consumers()
        return len([name for name in live if name != context.crashed])
    context.suite.run(eventually_async(replaced, equal_to(count), seconds,
                                       f"live workers other than {context.crashed}"),
                      seconds + 5, "waiting for the workers")


@then("each of her messages is answered once, in the order she sent them")
def then_answered_in_order(context):
    """Each message finishes, complete and as the model wrote it; done frames come in the
    order sent, one each; one stored reply each."""
    person = context.cast.she
    for reply in context.sent_in_order:
        person.follow(reply, within_s=60)
    assert_answered_as_written(person, context.sent_in_order, context.cast.model_requests())
    job_order = [r.job_id for r in context.sent_in_order]
    done_order = [frame.data["job_id"] for frame in person.connection.frames
                  if frame.data and frame.data.get("type") == "done"]
    assert done_order == job_order, f"answers came for jobs {done_order}, sent {job_order}"
    for reply in context.sent_in_order:
        assert len(stored_answers(person, reply.job_id)) == 1, f"not one answer for {reply.job_id}"


@then("Grace gets her whole answer all the same")
def then_grace_answered(context):
    """Grace's message is answered in full, as the model wrote it, whenever Ada's failing one
    ends: the contract sets no time before a job is dead-lettered, so which of the two ends
    first is open."""
    grace = context.cast.person("Grace")
    reply = grace.follow(grace.last_reply)
    assert reply.done is not None and reply.error is None, reply.describe()
    assert_answered_as_written(grace, [reply], context.cast.model_requests())


@then("Ada is told her message could not be answered")
def then_ada_told_failure(context):
    """Ada's acknowledged message ends with an llm_failed error that names it and says
    something, never a done."""
    ada = context.cast.person("Ada")
    assert_failed(ada.follow(ada.last_reply, within_s=DEAD_LETTER_WITHIN_S), "llm_failed")


@then("the engine tried her message {times:d} times before giving up on it")
def then_tried_before_giving_up(context, times):
    """She was told it failed after the deliveries (llm_failed), and the model was asked her
    question exactly that many times: once a delivery. A refusal is not retried within a
    delivery here: a message whose model fails every try within one delivery ends after it,
    in model_unavailable (contract, section 3), not in llm_failed after MAX_DELIVERIES = 3
    deliveries (sections 3, 4 and 6)."""
    person = context.cast.she
    reply = person.last_reply
    assert reply.error is not None and reply.error.get("code") == "llm_failed", (
        f"not given up on after its deliveries: {reply.describe()}")
    question = question_for(person, reply)
    asked = requests_about(context.cast.model_requests(), question)
    assert len(asked) == times, f"the model was asked {question!r} {len(asked)} times"


@then("while its answer was written, her message never looked abandoned")
def then_never_looked_abandoned(context):
    """Watched in Redis from her ack until her job was acknowledged: it stayed with the
    worker that took it (delivered once, one consumer), and its idle time stayed under the
    claim timeout, so no other worker could take it over (contract, section 4). The watch
    must have seen it pending longer than the claim timeout, with no gap that long."""
    job_id = context.cast.she.last_reply.job_id
    samples = context.watches[job_id].result(WATCH_WITHIN_S + 5)
    held = [sample for sample in samples if "consumer" in sample]
    times = [sample["at"] for sample in samples]
    seen = (f"{len(held)} looks while it was held, by {sorted({s['consumer'] for s in held})}, "
            f"delivered {sorted({s['delivered'] for s in held})} times, idle at most "
            f"{max((s['idle_ms'] for s in held), default=None)} ms, looks at most "
            f"{max((b - a for a, b in zip(times, times[1:])), default=0):.2f} s apart")
    assert samples and samples[-1].get("gone"), f"still in the queue after {WATCH_WITHIN_S} s: {seen}"
    assert held and held[-1]["at"] - held[0]["at"] >= CLAIM_TIMEOUT_MS / 1000, (
        f"held for less than the claim timeout ({CLAIM_TIMEOUT_MS} ms), too short to tell: {seen}")
    assert max(b - a for a, b in zip(times, times[1:])) < CLAIM_TIMEOUT_MS / 1000, (
        f"the watch looked away for as long as the claim timeout: {seen}")
    assert len({s["consumer"] for s in held}) == 1 and {s["delivered"] for s in held} == {1}, (
        f"taken over while it was written: {seen}")
    assert max(s["idle_ms"] for s in held) < CLAIM_TIMEOUT_MS, (
        f"left idle for the claim timeout ({CLAIM_TIMEOUT_MS} ms) while it was written: {seen}")


@then("the engine's copy of what it sent her is deleted within {minutes:d} minutes")
def then_copy_deleted_within(context, minutes):
    """Her job's result stream, read once her reply has ended, exists and expires within
    that many minutes (contract, sections 4 and 6: kept 300 s)."""
    job_id = context.cast.she.last_reply.job_id
    ttl_ms = context.suite.run(result_stream_ttl_ms(context.suite.queue, job_id), 10,
                               "reading the result stream's time to live")
    assert ttl_ms != -2, f"no result stream llm_results:{job_id} right after her reply"
    assert ttl_ms != -1, f"llm_results:{job_id} never expires"
    assert 0 < ttl_ms <= minutes * 60_000, f"llm_results:{job_id} expires in {ttl_ms} ms"


@then("she has received {count:d} complete answers")
def then_received_complete_answers(context, count):
    """She has that many replies, each complete in its final attempt and exactly what the
    model wrote for her question."""
    person = context.cast.she
    assert len(person.replies) == count, f"she has {len(person.replies)} replies"
    assert_answered_as_written(person, person.replies, context.cast.model_requests())


@then("exactly {count:d} answers are stored in her conversation")
def then_answers_stored(context, count):
    """The ledger finds that many messages, each answered once; her history holds that
    many replies."""
    ledger = take_ledger(context.suite, sent_in(context.cast), context.cast.connections)
    ledger.assert_all(ANSWERED)
    rows = [row for row in context.cast.she.history() if row["role"] == "assistant"]
    assert len(ledger.entries) == len(rows) == count, f"{len(rows)} answers stored"
