"""The ledger's verdict on what the people of a scenario sent (support/probes/ledger.py).

    Then nothing she sent was lost or answered twice
    Then nothing anyone sent was lost or answered twice

"Lost or answered twice" is the ledger's lost, duplicated, and refused but kept (told it
was refused, yet kept: a resend would be answered twice). Failing loudly is allowed: the
scenarios that make a message fail say so in their own steps.
"""

from behave import then

from support.probes.ledger import sent_by, sent_in, take_ledger

# Bound for the last messages to settle: a server restart, a claim timeout and an answer
# written again, on a busy machine.
LEDGER_WITHIN_S = 90


@then("nothing she sent was lost or answered twice")
def then_nothing_she_sent_lost(context):
    """The ledger of every message the person named last sent: none lost, duplicated, or
    refused but kept."""
    take_ledger(context.suite, sent_by(context.cast.she), context.cast.connections,
                LEDGER_WITHIN_S).assert_nothing_lost_or_duplicated()


@then("nothing anyone sent was lost or answered twice")
def then_nothing_anyone_sent_lost(context):
    """The ledger of every message of every person of the scenario: none lost, duplicated,
    or refused but kept."""
    take_ledger(context.suite, sent_in(context.cast), context.cast.connections,
                LEDGER_WITHIN_S).assert_nothing_lost_or_duplicated()
