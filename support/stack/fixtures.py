"""Fixtures for scenarios that change what every scenario shares: the workers, the queue,
the model and the servers.

Each puts things back when the scenario ends, whether it passed or failed, so no later
scenario inherits paused workers, filler jobs or a stalled model.
"""

from __future__ import annotations

from behave import fixture, use_fixture

from support.eventually import equal_to, eventually_async

DRAIN_WITHIN_S = 60  # bound for the engine to answer what the scenario left queued


@fixture
def paused_workers(context):
    """The workers stop; afterwards the filler goes, the workers return, the queue drains.
    Restored even when pausing itself failed, so no later scenario runs without workers."""
    suite = context.suite
    try:
        suite.run(suite.workers.pause(), 40, "pausing the workers")
        yield
    finally:
        restore_queue(suite)


def wait_until_drained(suite, within_s: float = DRAIN_WITHIN_S):
    """The queue is empty again: every job the scenario left was answered or dead-lettered."""
    suite.run(eventually_async(suite.queue.depth, equal_to(0), within_s,
                               "queue depth after the scenario"),
              within_s + 5, "draining the queue")


def restore_queue(suite):
    try:
        suite.run(suite.filler.remove_all(), 60, "removing the filler jobs")
    finally:
        suite.run(suite.workers.resume(), 40, "resuming the workers")
    wait_until_drained(suite)


@fixture
def stalled_model(context):
    """The model holds every request; afterwards it answers again and the queue drains."""
    suite = context.suite
    try:
        suite.model.behave_like(stalled=True)
        yield
    finally:
        suite.model.behave_like(stalled=False)
    wait_until_drained(suite, DRAIN_WITHIN_S * 3)


@fixture
def all_workers_back(context):
    """Afterwards, every worker the engine runs is alive again."""
    yield
    context.suite.run(context.suite.workers.wait_all_live(), 40, "waiting for the workers")


@fixture
def servers_restored(context):
    """Afterwards Redis and PostgreSQL run, the engine runs on its own addresses with all its
    workers, and the queue has drained: whether the scenario passed or failed."""
    suite = context.suite
    try:
        yield
    finally:
        suite.servers.restore()
        suite.run(suite.workers.wait_all_live(), 40, "waiting for the workers")
    wait_until_drained(suite)


def operate(context):
    """Every step that breaks a server first makes sure the scenario puts it back."""
    use_fixture(servers_restored, context)
    return context.suite.servers


@fixture
def model_fault(context):
    """Afterwards the model has no fault and the queue has drained: pass or fail."""
    suite = context.suite
    try:
        yield suite.model
    finally:
        suite.model.clear_fault()
    wait_until_drained(suite)
