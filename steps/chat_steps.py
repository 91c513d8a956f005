"""Talking to the assistant and what comes back on the socket.

    Given she has told the assistant "My name is Ada"
    When she says "Hello there"
    When she asks "What is my name?"
    When Ada and Grace each send a message at the same moment
    When she sends 20 messages one right after another
    Then her message is acknowledged
    Then the reply arrives in at least 2 pieces, in order
    Then the finished reply is exactly the pieces put together
    Then the reply mentions "Ada"
    Then each of them gets only the reply to their own message
    Then her messages are acknowledged in the order she sent them
    Then each of them is answered
"""

from behave import given, then, when

from support.people.bad_frames import message


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
    """An ack named her message by her id, before any other frame of its job; the ids it gave
    are those of her message as stored, with what she said."""
    person = context.cast.she
    reply = person.last_reply
    ack = reply.ack
    assert ack is not None, "no ack for her message"
    assert ack.get("client_message_id") == reply.client_message_id, (
        f"the ack names {ack.get('client_message_id')}, her message is {reply.client_message_id}")
    kinds = [frame.data.get("type") for frame in person.connection.frames
             if frame.data and frame.data.get("job_id") == ack.get("job_id")]
    assert kinds and kinds[0] == "ack", f"frames of her message came as {kinds}"
    [(said, _)] = [exchange for exchange in person.exchanges_here() if exchange[1] is reply]
    stored = [(str(row["id"]), row["content"], str(row["job_id"])) for row in person.history()
              if row["role"] == "user"]
    assert stored == [(ack["message_id"], said, ack["job_id"])], (
        f"the ack gave {ack}; her stored messages are {stored}")


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


@when("she sends {count:d} messages one right after another")
def when_she_sends_in_a_row(context, count):
    """That many numbered messages, each sent before anything came back for the one before;
    then wait until each is taken or refused."""
    context.in_a_row = context.cast.she.send_frames(
        [message(f"Message {n} in a row") for n in range(1, count + 1)])


@then("her messages are acknowledged in the order she sent them")
def then_acknowledged_in_order(context):
    """Every one of them was acked, and the acks came in the order they were sent."""
    person = context.cast.she
    sent = [reply.client_message_id for reply in context.in_a_row]
    refused = [reply.describe() for reply in context.in_a_row if reply.ack is None]
    assert not refused, f"{len(refused)} of her messages were not acknowledged: {refused[:3]}"
    acked = [frame.data["client_message_id"] for frame in person.connection.frames
             if frame.data and frame.data.get("type") == "ack"
             and frame.data.get("client_message_id") in sent]
    assert acked == sent, (
        f"acks came for her messages number {[sent.index(id_) + 1 for id_ in acked]}")


@then("each of them is answered")
def then_each_answered(context):
    """Each of them is finished with a done frame, not an error."""
    person = context.cast.she
    for reply in context.in_a_row:
        person.follow(reply)
    unanswered = [reply.describe() for reply in context.in_a_row if reply.done is None]
    assert not unanswered, f"{len(unanswered)} not answered: {unanswered[:3]}"
