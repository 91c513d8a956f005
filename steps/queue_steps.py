"""What the engine left in its job queue (Redis).

    Then no work for her message is left in the queue
"""

from behave import then

from support.eventually import eventually_async, equal_to


@then("no work for her message is left in the queue")
def then_no_work_left_in_queue(context):
    """Her job is neither waiting nor pending once the reply is done."""
    job_id = context.cast.she.last_reply.job_id
    queue = context.suite.queue
    context.suite.run(
        eventually_async(lambda: queue.jobs_with({job_id}), until=equal_to([]), within_s=5,
                         what=f"job {job_id} in the queue"),
        within_s=10, what="watching the queue")
