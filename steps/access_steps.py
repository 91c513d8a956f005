"""Signing in and whose conversation is whose (close codes, docs/contract.md section 1).

    When Eve opens a new conversation without signing in
    When Eve opens a new conversation with an expired sign-in
    When Grace tries to open Ada's conversation
    When Eve opens the conversation "not-a-conversation-id"
    Then the engine refuses her as not signed in
    Then the engine refuses her as not allowed
    Then the engine refuses her as a bad request
    Then Ada's conversation holds only Ada's exchange
"""

import uuid

from behave import then, when

from support.tokens import UNTRUSTWORTHY_SIGN_INS

CLOSE_CODES = {"not signed in": 4401, "not allowed": 4403, "a bad request": 4400}


@when("{name} opens a new conversation without signing in")
def when_opens_without_sign_in(context, name):
    """Connects to a new conversation with no token at all."""
    person = context.cast.person(name)
    context.close_code = context.cast.knock(person, str(uuid.uuid4()), token=None)


@when("{name} opens a new conversation with {sign_in}")
def when_opens_with_bad_sign_in(context, name, sign_in):
    """Connects to a new conversation with a token the engine must not trust."""
    assert sign_in in UNTRUSTWORTHY_SIGN_INS, f"no such sign-in: {sorted(UNTRUSTWORTHY_SIGN_INS)}"
    person = context.cast.person(name)
    token = UNTRUSTWORTHY_SIGN_INS[sign_in](person.user_id, context.suite.endpoints.jwt_secret)
    context.close_code = context.cast.knock(person, str(uuid.uuid4()), token=token)


@when("{intruder} tries to open {owner}'s conversation")
def when_tries_someone_elses_conversation(context, intruder, owner):
    """A signed-in person connects to a conversation another person started."""
    conversation_id = context.cast.person(owner).conversation_id
    context.close_code = context.cast.knock(context.cast.person(intruder), conversation_id)


@when('{name} opens the conversation "{conversation_id}"')
def when_opens_conversation(context, name, conversation_id):
    """A signed-in person connects to the conversation address as written."""
    context.close_code = context.cast.knock(context.cast.person(name), conversation_id)


@then("the engine refuses her as {reason}")
def then_refused(context, reason):
    """The engine closed the connection at once with the contract's close code."""
    expected = CLOSE_CODES[reason]
    assert context.close_code == expected, (
        f"closed with {context.close_code}, expected {expected} ({reason})")


@then("{name}'s conversation holds only {owner}'s exchange")
def then_conversation_untouched(context, name, owner):
    """The conversation's stored rows are exactly the owner's one exchange."""
    person = context.cast.person(name)
    [(text, reply)] = person.exchanges_here()
    stored = [(row["role"], row["content"]) for row in person.history()]
    assert stored == [("user", text), ("assistant", reply.content)], f"stored {stored}"
