"""Capacity: many people at once, with their figures printed and in the report.

    Given the model answers at a realistic pace
    When 100 people chat at once, 5 turns each, pausing 1 to 3 s between turns
    When 300 people arrive within 5 s and chat 2 turns each, without pausing
    When the engine is swept from one person alone to as many as it takes
    Then all 100 got in, and no connection was refused or dropped
    Then every message was answered exactly once, but for under 1 % that failed with a clear error
    Then these figures stay under their targets:
    Then the safe range holds at least 100 people each sending a message every 10 s
"""

from behave import given, then, use_fixture, when

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
    """People who wait: all connect at once, then each sends, waits for the whole answer,
    pauses, sends again. The run's ledger is taken before they hang up."""
    context.load = run_load(context.suite, f"{people} people, {turns} turns each",
                            lambda run, callers: run.chat(callers, turns=turns,
                                                          pause_s=(low, high)),
                            people, over_s=0, within_s=CHAT_WITHIN_S)


@when("{people:d} people arrive within {seconds:d} s and chat {turns:d} turns each, "
      "without pausing")
def when_people_burst_in(context, people, seconds, turns):
    """People who wait: they connect spread evenly over the seconds, each then sends her
    next message as soon as her answer ends. The run's ledger is taken before they hang up."""
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


@then("all {people:d} got in, and no connection was refused or dropped")
def then_everyone_got_in(context, people):
    """That many people were started, each one's connection opened, and none closed before
    the run hung up."""
    callers = context.load.callers
    refused = [f"{c.name}: {c.refused}" for c in callers if not c.connected]
    dropped = [f"{c.name} (code {c.connection.close_code})" for c in callers if c.dropped]
    assert len(callers) == people, f"{len(callers)} people were started, not {people}"
    assert not refused and not dropped, (
        f"{len(callers) - len(refused)} of {people} got in; {len(refused)} refused, e.g. "
        f"{refused[:3]}; {len(dropped)} dropped, e.g. {dropped[:3]}")


@then("every message was answered exactly once, but for under {percent:d} % that failed "
      "with a clear error")
def then_answered_within_budget(context, percent):
    """The run's ledger: every message answered once, except fewer than that share of all
    sent failed loudly or refused; none lost, duplicated, or refused but kept."""
    ledger = context.load.ledger
    assert ledger is not None, "the run ended before its ledger was taken"
    ledger.assert_answered(failures_under=percent / 100)


@then("these figures stay under their targets:")
def then_figures_under_targets(context):
    """Each figure named in the table (figure | under) is below its limit."""
    problems = missed_targets(context.load, [(row["figure"], row["under"])
                                             for row in context.table])
    assert not problems, "; ".join(problems)


@then("the safe range holds at least {people:d} people each sending a message "
      "every {seconds:d} s")
def then_safe_range_holds(context, people, seconds):
    """The highest safe rate of the sweep is at least people / seconds messages a second."""
    wanted = people / seconds
    safe = context.sweep.safe_rate()
    assert safe >= wanted, (f"safe only up to {safe:.1f} messages/s, wanted at least "
                            f"{wanted:.1f} ({people} people, one message every {seconds} s):"
                            f"\n{context.sweep.table()}")
