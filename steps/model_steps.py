"""What the scriptable model was sent (needs the scriptable model).

    Then the model was given all her earlier messages and the assistant's replies, in order
"""

from behave import then


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
    requests = [request for request in context.cast.model_requests()
                if request["messages"] and request["messages"][-1].get("content") == question]
    assert requests, f"the model was never asked {question!r} during this scenario"
    sent = [{"role": m["role"], "content": m["content"]} for m in requests[-1]["messages"]
            if m["role"] in ("user", "assistant")]
    assert sent == expected, f"the model was sent {sent}, expected {expected}"
