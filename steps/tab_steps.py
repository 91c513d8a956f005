"""One conversation open in two tabs (docs/contract.md, section 3, "One conversation on
several connections").

    Given Ada has the same conversation open in two tabs
    Given she has asked a question in her second tab and the answer has started
    When she sends a message from each tab at the same moment
    When she closes her first tab
    When she sends a message from her first tab and, once its answer has started, sends it again from her second tab
    Then each tab is shown the whole answer to its own message, and nothing of the other's
    Then her history holds both messages in the order they were taken, and each answer after its own message
    Then each answer was written knowing the message taken before it and that message's answer
    Then her second tab is shown the whole answer
    Then both tabs are told it is the same message
    Then both tabs are shown the same whole answer
    Then her message and its answer are kept once, and the assistant was asked once
"""

from behave import given, then, when

from support.people.answers import assert_as_written
from support.eventually import equal_to, eventually_async
from support.model.sent import assert_each_written_knowing_the_ones_before, requests_about
from support.people.tabs import Tabs, taken_in_order

FROM_EACH_TAB = ["Hello from my first tab", "Hello from my second tab"]
QUESTION = "Tell me a story in my second tab"
RESENT = "Did this arrive?"


@given("{name} has the same conversation open in two tabs")
def given_two_tabs(context, name):
    """A new person starts a new conversation, then opens it on a second connection."""
    context.tabs = Tabs.open(context.cast, context.cast.person(name), count=2)


@given("she has asked a question in her second tab and the answer has started")
def given_asked_in_second_tab(context):
    """A question from the second tab; its first piece has arrived there."""
    reply = context.tabs.send(1, QUESTION)
    context.tabs.follow(reply, until="started")
    assert reply.chunks, f"the answer did not start: {reply.describe()}"


@when("she sends a message from each tab at the same moment")
def when_sends_from_each_tab(context):
    """One message from each tab, both sent together, without waiting for anything."""
    context.tabs.send_together(FROM_EACH_TAB)


@when("she closes her first tab")
def when_closes_first_tab(context):
    context.tabs.close(0)


@when("she sends a message from her first tab and, once its answer has started, sends it again "
      "from her second tab")
def when_resends_from_other_tab(context):
    """The first piece of the answer has reached the first tab; the same content and id then
    go out from the second tab while the answer is still being written."""
    tabs = context.tabs
    first = tabs.send(0, RESENT)
    tabs.follow(first, until="started")
    assert first.chunks and first.done is None, (
        f"the answer had not started, or had already finished: {first.describe()}")
    context.resent = [first, tabs.resend(first, on=1)]


@then("each tab is shown the whole answer to its own message, and nothing of the other's")
def then_each_tab_own_answer(context):
    """Each tab's message ends in a done there, complete and exactly what the model wrote
    for it; once both have, neither tab got any frame naming the other tab's message."""
    tabs = context.tabs
    replies = [tabs.follow(reply) for _text, reply in tabs.person.exchanges_here()]
    requests = context.cast.model_requests()
    for text, reply in tabs.person.exchanges_here():
        assert_as_written(reply, text, requests)
    for tab, reply in enumerate(replies):
        other = 1 - tab
        seen = tabs.frames_about(other, reply)
        assert not seen, f"tab {other + 1} was sent frames about tab {tab + 1}'s message: {seen}"


@then("her history holds both messages in the order they were taken, and each answer after its own message")
def then_history_in_order_taken(context):
    """The stored history is exactly her two messages and the two answers her tabs were
    shown, under the ids of their acks and dones; the messages in the order the engine took
    them (the history's order: contract 5), each answer after its own message, the answers in
    the order of the messages."""
    taken_in_order(context.tabs.person)


@then("each answer was written knowing the message taken before it and that message's answer")
def then_each_knew_the_one_before(context):
    """The model wrote the answer to the message taken first from that message alone, and
    the answer to the one taken second from the first, its answer, then the second."""
    assert_each_written_knowing_the_ones_before(context.cast.model_requests(),
                                                taken_in_order(context.tabs.person))


@then("her second tab is shown the whole answer")
def then_second_tab_whole_answer(context):
    """The second tab's question ends in a done there, complete and what the model wrote."""
    tabs = context.tabs
    [(text, reply)] = tabs.person.exchanges_here()
    assert_as_written(tabs.follow(reply), text, context.cast.model_requests())


@then("both tabs are told it is the same message")
def then_same_message(context):
    """Each tab gets an ack for it; both name the same message, job and her id."""
    tabs = context.tabs
    acks = [tabs.follow(reply, until="answered_or_refused").ack for reply in context.resent]
    assert None not in acks, f"a tab was not confirmed: {[r.describe() for r in context.resent]}"
    named = {(ack["message_id"], ack["job_id"], ack["client_message_id"]) for ack in acks}
    assert len(named) == 1, f"the tabs were confirmed as {named}"


@then("both tabs are shown the same whole answer")
def then_same_whole_answer(context):
    """Each tab's reply ends in a done, complete (its pieces, in order, make it), and is what
    the model wrote; each tab got one ack and one done for it, and no error, the two dones
    with the same stored message and text."""
    tabs = context.tabs
    replies = [tabs.follow(reply) for reply in context.resent]
    for reply in replies:
        assert_as_written(reply, RESENT, context.cast.model_requests())
    kinds = [[frame["type"] for frame in tabs.frames_about(tab, reply)
              if frame["type"] in ("ack", "done", "error")]
             for tab, reply in enumerate(replies)]
    assert kinds == [["ack", "done"]] * 2, f"the tabs were sent, about her message: {kinds}"
    told = {(reply.done["message_id"], reply.done["content"]) for reply in replies}
    assert len(told) == 1, f"the tabs were shown different answers: {told}"


@then("her message and its answer are kept once, and the assistant was asked once")
def then_kept_once_asked_once(context):
    """Her history is exactly her message, with her id, and the answer, both under the job
    of the ack; once no job of hers is left in the queue, the model was asked it once."""
    first = context.resent[0]
    rows = context.tabs.person.history()
    stored = [(row["role"], row["content"], str(row["job_id"])) for row in rows]
    expected = [("user", RESENT, first.job_id), ("assistant", first.content, first.job_id)]
    assert stored == expected, f"stored {stored}, expected {expected}"
    assert rows[0]["client_message_id"] == first.client_message_id, rows[0]
    queue = context.suite.queue
    context.suite.run(eventually_async(lambda: queue.jobs_from({first.client_message_id}),
                                       equal_to([]), 30, "her message's jobs in the queue"),
                      35, "waiting for the queue to let go of her message")
    asked = requests_about(context.cast.model_requests(), RESENT)
    assert len(asked) == 1, f"the model was asked {RESENT!r} {len(asked)} times"
