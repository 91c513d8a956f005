"""A load run inside a scenario: start it, let it run bounded, take its ledger while every
connection is still open, then print its figures and attach them (table, plot, CSV) to the
report.

    run = run_load(suite, "100 people", load, people=100, over_s=0, within_s=300)
    run.ledger.assert_answered(failures_under=0.01)
"""

from __future__ import annotations

from behave import fixture

from support.console import say
from support.eventually import equal_to, eventually_async
from support.probes.ledger import account
from support.load import figures
from support.load.driver import LoadRun

DRAIN_S = 60  # how long the last replies of a run are waited for
LEDGER_S = 60  # how long the ledger waits for what is still queued or untold after that
SETTLE_S = 120  # how long the queue is given to empty after a scenario's load


def run_load(suite, label: str, load, people: int, over_s: float, within_s: float) -> LoadRun:
    """Connect `people` (spread over `over_s`), run `load(run, people)`, wait for the last
    replies, take the ledger (run.ledger) while the connections are open, hang up; then
    print and attach the figures. Bounded by within_s + DRAIN_S + LEDGER_S."""
    run = LoadRun(label, suite.endpoints.engine_url, suite.endpoints.jwt_secret,
                  queue=suite.queue)
    suite.happenings.overhear(run.transcript)  # its people are drawn on the timeline too

    async def go():
        try:
            await load(run, await run.connect(people, over_s=over_s))
            await run.finish(DRAIN_S)
            run.ledger = await account(suite, run.sent(), [], LEDGER_S)
        finally:
            await run.close()
    try:
        suite.run(go(), within_s + DRAIN_S + LEDGER_S + 90, label)
    finally:
        show(run, suite)
    return run


def show(run: LoadRun, suite):
    """Print and attach the figures, and the ledger's counts when it was taken."""
    if run.ledger is not None:
        run.ledger.report()
    table = figures.figures_table(run)
    say(table)
    figures.attach(table, *figures.write_files(run, suite.config.reports_dir / "load", run.label),
                  run.label)


def wait_for_empty_queue(suite):
    """After a load scenario, the queue empties before the next scenario starts."""
    suite.run(eventually_async(suite.queue.depth, equal_to(0), SETTLE_S,
                               "queue depth after the load"), SETTLE_S + 5, "the queue emptying")


@fixture
def queue_emptied_afterwards(context):
    """Whether the scenario passed or failed, its load has left the queue before the next."""
    yield
    wait_for_empty_queue(context.suite)
