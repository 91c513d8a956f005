"""Scenarios this run cannot carry out (in external mode, those that operate the embedded
stack or script the model), skipped with the reason shown where a reader looks.

    skip(scenario, reason)      # before_scenario: skip it, say why on the console
    summarise()                 # after_all: one line per reason, with its count
    keep_in_report(listener)    # the Allure formatter: keep them, with the reason

behave drops skipped scenarios from the console and allure-behave from the report when
`show_skipped` is off, which behave.ini sets so that scenarios left out by tags stay out. A
scenario skipped for a reason is not one of those: the reader chose it and must learn why it
did not run.
"""

from __future__ import annotations

from collections import Counter

from allure_commons.model2 import Status, StatusDetails
from allure_commons.utils import now

from support.console import say

REASON = "grizz_skip_reason"  # where the reason rides on behave's scenario


_skipped: Counter = Counter()  # reason -> scenarios it skipped, in this run


def skip(scenario, reason: str):
    setattr(scenario, REASON, reason)
    scenario.skip(reason)
    _skipped[reason] += 1
    say(f"SKIPPED {scenario.name.split(' -- @')[0]}: it {reason}")


def summarise():
    for reason, count in _skipped.items():
        say(f"{count} scenario{'s were' if count > 1 else ' was'} skipped: "
            f"{'each' if count > 1 else 'it'} {reason}")
    _skipped.clear()


def keep_in_report(listener):
    """Make allure-behave's listener report a scenario skipped with a reason, as skipped and
    with the reason as its message, instead of dropping it."""
    stock = listener.stop_scenario

    def stop_scenario(scenario):
        reason = getattr(scenario, REASON, None)
        if reason is None:
            return stock(scenario)
        listener.flush_steps()
        result = listener.logger.get_test(listener.current_scenario_uuid)
        result.stop = now()
        result.status = Status.SKIPPED
        result.statusDetails = StatusDetails(message=f"Skipped: it {reason}")
        listener.logger.close_test(listener.current_scenario_uuid)
        listener.current_step_uuid = None
        listener.group_context.append_test(listener.current_scenario_uuid)
        listener.group_context.exit()
        listener.current_scenario_uuid = None

    listener.stop_scenario = stop_scenario
