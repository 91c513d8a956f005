"""Who is chatting, and with which conversation.

    Given Ada has started a new conversation
    When she reconnects to the same conversation
    When she starts another conversation
"""

from behave import given, when


@given("{name} has started a new conversation")
def given_person_started_conversation(context, name):
    """A new user with a new conversation, connected to the engine."""
    context.cast.person(name).start_conversation()


@when("she reconnects to the same conversation")
def when_she_reconnects(context):
    """Hang up and open a new connection to the same conversation."""
    context.cast.she.connect()


@when("she starts another conversation")
def when_she_starts_another_conversation(context):
    """A second conversation of the same user, on a new connection."""
    context.cast.she.start_conversation()
