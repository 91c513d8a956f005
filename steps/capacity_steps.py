"""Capacity: many people at once, with their figures printed and in the report.

    Given the model answers at a realistic pace
    When 100 people chat at once, 5 turns each, pausing 1 to 3 s between turns
    When 300 people arrive within 5 s and each has 2 exchanges
    When the engine is swept from one person alone to as many as it takes
    Then these figures stay under the testing plan's targets:
    Then every acknowledged message was answered exactly once, stored once, and none was lost
    Then everyone got in, and no connection was refused or dropped
    Then the safe range holds at least 100 people each sending a message every 10 s
"""

from behave import given, then, use_fixture, when

from support.console import say
from support.load.ledger import audit
from support.load.pace import REALISTIC
from support.load.session import queue_emptied_afterwards, run_load
from support.load.sweep import Sweep
from support.load.targets import missed_targets

CHAT_WITHIN_S = 300  # bound for the whole closed-loop chat of a scenario


@given("the model answers at a realistic pace")
def given_realistic_pace(context):
    """The scriptable model: first piece after 300 ms, then 20 pieces 30 ms apart."""
    context.suite.model.behave_like(**REALISTIC)
    use_fixture(queue_emptied_afterwards, context)


@when("{people:d} people chat at once, {turns:d} turns each, "
      "pausing {low:d} to {high:d} s between turns")
def when_people_chat(context, people, turns, low, high):
    """Closed-loop: each new person sends, waits for the whole reply, pauses, sends again."""
    context.load = run_load(context.suite, f"{people} people, {turns} turns each",
                            lambda run, callers: run.chat(callers, turns=turns,
                                                          pause_s=(low, high)),
                            people, over_s=0, within_s=CHAT_WITHIN_S)


@when("{people:d} people arrive within {seconds:d} s and each has {turns:d} exchanges")
def when_people_burst_in(context, people, seconds, turns):
    """Closed-loop: new people connect spread over the seconds, then each chats."""
    context.load = run_load(context.suite, f"burst to {people} people in {seconds} s",
                            lambda run, callers: run.chat(callers, turns=turns),
                            people, over_s=seconds, within_s=CHAT_WITHIN_S)


@when("the engine is swept from one person alone to as many as it takes")
def when_engine_swept(context):
    """One person alone, then 200 without pauses, then open-loop rates between the two."""
    context.sweep = Sweep(context.suite, context.suite.config.reports_dir / "load")
    try:
        context.sweep.run()
    finally:
        context.sweep.show()


@then("these figures stay under the testing plan's targets:")
def then_figures_under_targets(context):
    """Each figure named in the table (figure | under) is below its limit."""
    problems = missed_targets(context.load, [(row["figure"], row["under"])
                                             for row in context.table])
    assert not problems, "; ".join(problems)


@then("every acknowledged message was answered exactly once, stored once, and none was lost")
def then_ledger_balances(context):
    """Checked on the socket, in PostgreSQL (rows per message and per job) and in Redis
    (nothing of these jobs left queued or dead-lettered)."""
    ledger = context.suite.run(audit(context.load, context.suite.queue, context.suite.db),
                               60, "auditing the load run")
    say(f"ledger: {ledger.summary()}")
    assert ledger.acknowledged > 0, f"no message was acknowledged: {ledger.summary()}"
    assert not ledger.problems, "; ".join(ledger.problems)


@then("everyone got in, and no connection was refused or dropped")
def then_everyone_got_in(context):
    """Every person's connection opened and stayed open until the run hung up."""
    refused = [caller.refused for caller in context.load.callers if caller.refused]
    dropped = [f"{c.name} (code {c.connection.close_code})"
               for c in context.load.callers if c.dropped]
    assert not refused and not dropped, (
        f"{len(refused)} refused, e.g. {refused[:3]}; {len(dropped)} dropped, e.g. {dropped[:3]}")


@then("the safe range holds at least {people:d} people each sending a message "
      "every {seconds:d} s")
def then_safe_range_holds(context, people, seconds):
    """The highest safe rate of the sweep is at least people / seconds messages a second."""
    wanted = people / seconds
    safe = context.sweep.safe_rate()
    assert safe >= wanted, (f"safe only up to {safe:.1f} messages/s, wanted at least "
                            f"{wanted:.1f} ({people} people, one message every {seconds} s):"
                            f"\n{context.sweep.table()}")
