"""A message sent again after its answer came, and a message sent as plain text.

    When she sends a message and, once its answer has come, sends it again with the same id
    When she says "Hello in plain words" as plain text, with no id of her own
    Then the second send is acknowledged as the same message and shown the same answer again
"""

from behave import then, when

from support.people.answers import assert_complete
from support.people.bad_frames import message

SENT_AGAIN = "Did this arrive?"  # what "her message and its answer are stored once" reads


@when("she sends a message and, once its answer has come, sends it again with the same id")
def when_she_resends_after_the_answer(context):
    """The same message object twice: the second only once the first is done."""
    person = context.cast.she
    frame, client_message_id = message(SENT_AGAIN)
    first = person.follow(person.send_frame(frame, client_message_id))
    assert first.done is not None, f"her first send was not answered: {first.describe()}"
    second = person.follow(person.send_frame(frame, client_message_id))
    person.remember(SENT_AGAIN, first)
    context.twice = [first, second]


@when('she says "{text}" as plain text, with no id of her own')
def when_she_says_plain_text(context, text):
    """The words alone in a text frame, no JSON; followed until answered."""
    person = context.cast.she
    person.follow(person.send_frame(text, None))
    context.sent_content = text


@then("the second send is acknowledged as the same message and shown the same answer again")
def then_same_answer_again(context):
    """After the first send's done, the second got an ack naming the same message and job,
    then pieces that make a complete answer, and a done that is the first one's again: the
    same text and the same stored message."""
    first, second = context.twice
    assert second.ack is not None and second.error is None, second.describe()
    named = [(reply.ack.get("message_id"), reply.ack.get("job_id")) for reply in (first, second)]
    assert named[0] == named[1], f"the two sends were acknowledged as {named}"
    assert second.done is not None, f"the second send was not answered: {second.describe()}"
    assert_complete(second)
    told = [(reply.done["content"], reply.done["message_id"]) for reply in (first, second)]
    assert told[0] == told[1], f"she was shown {told[0]}, then {told[1]}"
