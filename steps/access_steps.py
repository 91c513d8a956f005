"""Signing in and whose conversation is whose (close codes, docs/contract.md section 1).

    When Eve opens a new conversation without signing in
    When Eve opens a new conversation with an unsigned sign-in
    Given Ada has started a new conversation with a sign-in of the longest length allowed
    Given Ada has started a new conversation with a sign-in that runs out in 6 seconds
    When her sign-in runs out
    When Grace tries to open Ada's conversation
    When Eve opens the conversation "not-a-conversation-id"
    When Ada opens a new conversation while PostgreSQL is away
    Then the engine refuses her as not signed in
    Then the engine refuses her as not allowed
    Then the engine refuses her as a bad request
    Then the engine refuses her as unavailable for now
    Then nothing was kept of her visit
    Then she is told her sign-in has expired
    Then the engine then closes her connection as not signed in
    Then only her exchange from before is kept
    Then Ada's conversation holds only Ada's exchange
    Then both refusals are the same bare refusal, with nothing about either conversation
"""

import time
import uuid

from behave import given, register_type, then, when
from parse_type import TypeBuilder

from support.eventually import wait_until_moment
from support.people.outages import CLOSE_TRY_AGAIN_LATER, REFUSED_WITHIN_S
from support.people.tokens import EDGE_SIGN_INS, UNTRUSTWORTHY_SIGN_INS, running_out_in

CLOSE_CODES = {"not signed in": 4401, "not allowed": 4403, "a bad request": 4400,
               "unavailable for now": CLOSE_TRY_AGAIN_LATER}

# Only these phrases match, so each sign-in step stays distinct from the others.
register_type(UntrustworthySignIn=TypeBuilder.make_choice(list(UNTRUSTWORTHY_SIGN_INS)),
              EdgeSignIn=TypeBuilder.make_choice(list(EDGE_SIGN_INS)))


def knock(context, person, conversation_id, **how):
    """Knock, and remember the attempt for the Then steps."""
    context.close_code = context.cast.knock(person, conversation_id, **how)
    context.visited = conversation_id
    context.knocks = getattr(context, "knocks", []) + [person.knocked]


@when("{name} opens a new conversation without signing in")
def when_opens_without_sign_in(context, name):
    """Connects to a new conversation with no token at all."""
    knock(context, context.cast.person(name), str(uuid.uuid4()), token=None)


@when("{name} opens a new conversation with {sign_in:UntrustworthySignIn}")
def when_opens_with_bad_sign_in(context, name, sign_in):
    """Connects to a new conversation presenting a sign-in the engine must not trust."""
    person = context.cast.person(name)
    presented = UNTRUSTWORTHY_SIGN_INS[sign_in](person.user_id, context.suite.endpoints.jwt_secret)
    conversation_id = str(uuid.uuid4())
    context.close_code = context.cast.knock_with(person, conversation_id, presented)
    context.visited = conversation_id


@given("{name} has started a new conversation with {sign_in:EdgeSignIn}")
def given_started_with_edge_sign_in(context, name, sign_in):
    """A new user whose token sits just inside one of the contract's limits connects."""
    person = context.cast.person(name)
    person.own_token = EDGE_SIGN_INS[sign_in](person.user_id,
                                              context.suite.endpoints.jwt_secret).token
    person.start_conversation()


@given("{name} has started a new conversation with a sign-in that runs out in {seconds:d} seconds")
def given_started_with_short_sign_in(context, name, seconds):
    """A token the engine stops trusting that many seconds from now (clock skew included)."""
    person = context.cast.person(name)
    person.own_token, context.sign_in_ends_at = running_out_in(
        person.user_id, context.suite.endpoints.jwt_secret, seconds)
    person.start_conversation()


@when("her sign-in runs out")
def when_sign_in_runs_out(context):
    """Waits, bounded, until the clock has passed the moment the token stops being trusted."""
    ends_at = context.sign_in_ends_at + 1  # exp is in whole seconds
    wait_until_moment(ends_at, f"past {ends_at:.0f}", clock=time.time, interval_s=0.2)


@when("{intruder} tries to open {owner}'s conversation")
def when_tries_someone_elses_conversation(context, intruder, owner):
    """A signed-in person connects to a conversation another person started."""
    conversation_id = context.cast.person(owner).conversation_id
    knock(context, context.cast.person(intruder), conversation_id)


@when('{name} opens the conversation "{conversation_id}"')
def when_opens_conversation(context, name, conversation_id):
    """A signed-in person connects to the conversation address as written."""
    knock(context, context.cast.person(name), conversation_id)


@when("{name} opens a new conversation while {server} is away")
def when_opens_while_away(context, name, server):
    """A signed-in person connects to a new conversation; the engine has 45 s to close it
    (contract, section 1: as long as a message may take to be refused while a server is
    away)."""
    knock(context, context.cast.person(name), str(uuid.uuid4()), within_s=REFUSED_WITHIN_S)


@then("the engine refuses her as {reason}")
def then_refused(context, reason):
    """The engine closed the connection at once with the contract's close code, before any
    frame."""
    expected = CLOSE_CODES[reason]
    assert context.close_code == expected, (
        f"closed with {context.close_code}, expected {expected} ({reason})")
    frames = context.cast.she.knocked.frames
    assert not frames, f"the engine sent frames before closing: {[f.text for f in frames]}"


@then("nothing was kept of her visit")
def then_nothing_kept_of_visit(context):
    """The conversation she tried to open was never created."""
    owner = context.suite.run(context.suite.db.conversation_owner(context.visited), 10,
                              "looking for the conversation")
    assert owner is None, f"conversation {context.visited} was created for user {owner}"


@then("she is told her sign-in has expired")
def then_told_sign_in_expired(context):
    """A token_expired error for her message, and no ack."""
    reply = context.cast.she.last_reply
    assert reply.ack is None, f"the message was accepted: {reply.describe()}"
    assert (reply.error or {}).get("code") == "token_expired", reply.describe()


@then("the engine then closes her connection as not signed in")
def then_connection_closed_not_signed_in(context):
    """Her open connection is closed with 4401 after the error."""
    person = context.cast.she
    code = person.suite.run(person.connection.wait_closed(10), 15, "waiting for the close")
    assert code == 4401, f"closed with {code}, expected 4401"


@then("only her exchange from before is kept")
def then_only_earlier_exchange_kept(context):
    """Her conversation stores her first message and its reply, and nothing of the refused one."""
    person = context.cast.she
    (text, reply), _refused = person.exchanges_here()
    stored = [(row["role"], row["content"]) for row in person.history()]
    assert stored == [("user", text), ("assistant", reply.content)], f"stored {stored}"


@then("{name}'s conversation holds only {owner}'s exchange")
def then_conversation_untouched(context, name, owner):
    """The conversation's stored rows are exactly the owner's one exchange."""
    person = context.cast.person(name)
    [(text, reply)] = person.exchanges_here()
    stored = [(row["role"], row["content"]) for row in person.history()]
    assert stored == [("user", text), ("assistant", reply.content)], f"stored {stored}"


@then("both refusals are the same bare refusal, with nothing about either conversation")
def then_refusals_identical(context):
    """Each closed with 4403, no reason text and no frame, whatever lies behind it."""
    seen = [(knocked.close_code, knocked.close_reason, [f.text for f in knocked.frames])
            for knocked in context.knocks]
    assert seen == [(4403, "", [])] * 2, f"the refusals were {seen}"
