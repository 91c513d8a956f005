"""What the engine left in its job queue (Redis).

    Then no work for her message is left in the queue
"""

import time

from behave import then

from support.eventually import eventually_async, equal_to
from support.probes.job_queue import pending_added_between, redis_now_ms

MARGIN_MS = 1000  # around her send and her ack: the suite's clock read against Redis's


@then("no work for her message is left in the queue")
def then_no_work_left_in_queue(context):
    """Her job is neither waiting nor pending once the reply is done: no entry of llm_jobs
    carries it, and no job pending in the workers' group was added while she sent it (a
    second either side of her send and her ack) unless it is someone else's job still in
    llm_jobs. A pending job whose entry is gone was deleted without being acknowledged
    (contract, section 4: XACK then XDEL): that fails at once, before a worker claiming it
    could clear it."""
    person = context.cast.she
    reply = person.last_reply
    job_id = reply.job_id
    queue = context.suite.queue
    sent = person.moment_sent(reply.client_message_id)
    acked = person.connection.moment_of(person.connection.arrival_of(reply, "ack"))

    async def her_work():
        now_ms, now = await redis_now_ms(queue), time.monotonic()
        first_ms, last_ms = (int(now_ms - (now - moment) * 1000) for moment in (sent, acked))
        pending = await pending_added_between(queue, first_ms - MARGIN_MS, last_ms + MARGIN_MS)
        deleted = [job for job in pending if job["fields"] is None]
        assert not deleted, (f"jobs pending with {[job['consumer'] for job in deleted]} were "
                             f"deleted from the queue without being acknowledged: {deleted}")
        return {"waiting": await queue.jobs_with({job_id}),
                "pending": [job for job in pending if job["fields"]["job_id"] == job_id]}

    context.suite.run(
        eventually_async(her_work, until=equal_to({"waiting": [], "pending": []}), within_s=5,
                         what=f"job {job_id} in the queue"),
        within_s=10, what="watching the queue")
