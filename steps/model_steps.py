"""What the scriptable model was sent (needs the scriptable model).

    Then the model was given all her earlier messages and the assistant's replies, in order
    Then each answer was written knowing every earlier message and its answer
"""

from behave import then

from support.model.sent import (
    assert_each_written_knowing_the_ones_before,
    requests_about,
    turns,
)


@then("the model was given all her earlier messages and the assistant's replies, in order")
def then_model_was_given_whole_history(context):
    """The scriptable model's last request held every earlier turn of this conversation, in
    order."""
    person = context.cast.she
    expected = []
    for text, reply in person.exchanges_here():
        expected += [{"role": "user", "content": text},
                     {"role": "assistant", "content": reply.content}]
    expected.pop()  # the last reply is what the model was asked to write
    question = expected[-1]["content"]
    requests = requests_about(context.cast.model_requests(), question)
    assert requests, f"the model was never asked {question!r} during this scenario"
    sent = turns(requests[-1])
    assert sent == expected, f"the model was sent {sent}, expected {expected}"


@then("each answer was written knowing every earlier message and its answer")
def then_each_answer_knew_the_earlier_ones(context):
    """Every reply of this conversation is awaited; the request each was written from held
    every earlier message and its reply, in order (contract, section 4: replies in order)."""
    person = context.cast.she
    exchanges = person.exchanges_here()
    for _, reply in exchanges:
        person.follow(reply)
    assert_each_written_knowing_the_ones_before(context.cast.model_requests(), exchanges)
