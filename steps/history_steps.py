"""What the engine stored in the conversation history (PostgreSQL).

    Then her conversation history holds her message followed by the assistant's reply
    Then her conversation history holds both exchanges, in order
"""

from behave import then


def assert_history_is(person, exchanges: int):
    """The stored history is exactly what she said and what the socket showed her, in order."""
    said = person.exchanges_here()
    assert len(said) == exchanges, f"expected {exchanges} exchanges, she had {len(said)}"
    expected = []
    for text, reply in said:
        expected += [("user", text), ("assistant", reply.content)]
    history = person.history()
    stored = [(row["role"], row["content"]) for row in history]
    assert stored == expected, f"stored {stored}, expected {expected}"
    for user_row, reply_row, (_, reply) in zip(history[::2], history[1::2], said):
        assert str(user_row["id"]) == reply.ack["message_id"], (
            f"the ack named message {reply.ack['message_id']}, stored is {user_row['id']}")
        assert str(reply_row["id"]) == reply.done["message_id"], (
            f"done named message {reply.done['message_id']}, stored is {reply_row['id']}")


@then("her conversation history holds her message followed by the assistant's reply")
def then_history_holds_one_exchange(context):
    """PostgreSQL holds her message and the reply she was shown, in order, with the ids the
    frames gave."""
    assert_history_is(context.cast.she, exchanges=1)


@then("her conversation history holds both exchanges, in order")
def then_history_holds_both_exchanges(context):
    """PostgreSQL holds both her messages and both replies, in order, with the ids the frames
    gave."""
    assert_history_is(context.cast.she, exchanges=2)
