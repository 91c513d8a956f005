"""Talking to the assistant and what comes back on the socket.

    Given she has told the assistant "My name is Ada"
    When she says "Hello there"
    When she asks "What is my name?"
    When Ada and Grace each send a message at the same moment
    Then her message is acknowledged
    Then the reply arrives in at least 2 pieces, in order
    Then the finished reply is exactly the pieces put together
    Then the reply mentions "Ada"
    Then each of them gets only the reply to their own message
"""

from behave import given, then, when



def speak(context, text):
    reply = context.cast.she.ask(text)
    assert reply.done is not None, f"no finished reply to {text!r}: {reply.describe()}"
    return reply


@given('she has told the assistant "{text}"')
def given_she_has_told_the_assistant(context, text):
    """She sends the message and waits for the whole reply."""
    speak(context, text)


@given("she has had one exchange with the assistant")
def given_she_has_had_one_exchange(context):
    """She says hello and waits for the whole reply."""
    speak(context, "Hello, assistant")


@when('she says "{text}"')
def when_she_says(context, text):
    """She sends the message and waits for the whole reply."""
    speak(context, text)


@when('she asks "{text}"')
def when_she_asks(context, text):
    """She sends the question and waits for the whole reply."""
    speak(context, text)


@when("{first} and {second} each send a message at the same moment")
def when_two_people_send_at_once(context, first, second):
    """Both send a greeting at the same moment and wait for their replies."""
    people = [context.cast.person(first), context.cast.person(second)]
    context.sent_by = {person.name: f"Greetings from {person.name}" for person in people}
    context.cast.ask_together({person: context.sent_by[person.name] for person in people})


@then("her message is acknowledged")
def then_her_message_is_acknowledged(context):
    """The engine confirmed the message is stored and queued, before any of the reply."""
    person = context.cast.she
    ack = person.last_reply.ack
    assert ack is not None, "no ack for her message"
    assert ack.get("message_id") and ack.get("job_id"), f"the ack lacks ids: {ack}"
    kinds = [frame.data.get("type") for frame in person.connection.frames
             if frame.data and frame.data.get("job_id") == ack["job_id"]]
    assert kinds and kinds[0] == "ack", f"frames of her message came as {kinds}"


@then("the reply arrives in at least {count:d} pieces, in order")
def then_reply_arrives_in_pieces(context, count):
    """At least that many chunk frames, with seq 0, 1, 2, ... in order."""
    chunks = context.cast.she.last_reply.chunks
    numbers = [chunk["seq"] for chunk in chunks]
    assert len(chunks) >= count, f"the reply came in {len(chunks)} pieces: {chunks}"
    assert numbers == list(range(len(chunks))), f"pieces out of order: seq {numbers}"


@then("the finished reply is exactly the pieces put together")
def then_reply_is_pieces_joined(context):
    """The done frame's content equals the chunks joined in order."""
    reply = context.cast.she.last_reply
    joined = "".join(chunk["content"] for chunk in reply.chunks)
    assert reply.content == joined, f"done said {reply.content!r}, pieces make {joined!r}"


@then('the reply mentions "{text}"')
def then_reply_mentions(context, text):
    """The finished reply contains the text."""
    content = context.cast.she.last_reply.content
    assert text in content, f"the reply was {content!r}"


@then('the reply does not mention "{text}"')
def then_reply_does_not_mention(context, text):
    """The finished reply does not contain the text."""
    content = context.cast.she.last_reply.content
    assert text not in content, f"the reply was {content!r}"


@then("each of them gets only the reply to their own message")
def then_each_gets_only_their_own_reply(context):
    """No frame of another job on each one's socket, and each was shown the reply stored in her
    own conversation."""
    for name in context.sent_by:
        person = context.cast.person(name)
        own_job = person.last_reply.job_id
        strangers = [frame.text for frame in person.connection.frames
                     if (frame.data or {}).get("job_id") not in (None, own_job)]
        assert not strangers, f"{name} received frames of another job: {strangers}"
        stored = [row["content"] for row in person.history()
                  if row["role"] == "assistant" and str(row["job_id"]) == own_job]
        assert stored == [person.last_reply.content], (
            f"{name} was shown {person.last_reply.content!r}; her conversation stores "
            f"{stored} for her message")
