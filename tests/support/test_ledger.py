"""The ledger's classification (support/probes/ledger_judge.py), fed plain data: judge() on what
was seen of one message, and the reader on frames, rows and queue entries made by hand."""

import asyncio
import json
import uuid

import pytest

from support.chat.client import ChatConnection
from support.chat.reply import Reply
from support.probes.ledger import Ledger, _settle
from support.probes.ledger_judge import (ANSWERED, DUPLICATED, FAILED, LOST, REFUSED, REFUSED_BUT_KEPT,
                                         UNSETTLED, Entry, Seen, Sent, judge)
from support.chat.transcript import Transcript

STORED = {"user_rows": 1}
ANSWERED_OPEN = {**STORED, "replies": 1, "acked": True, "dones": 1, "connection_open": True}
DEAD_TOLD = {**STORED, "dead_letters": 1, "acked": True, "failure": "model_unavailable",
             "connection_open": True}


@pytest.mark.parametrize("seen, outcome", [
    # answered once
    (ANSWERED_OPEN, ANSWERED),
    ({**STORED, "replies": 1}, ANSWERED),  # her connection had closed: the reply is in history
    ({**STORED, "replies": 1, "acked": True, "dones": 1}, ANSWERED),
    # failed loudly: told, and kept as the code says
    (DEAD_TOLD, FAILED),
    ({**DEAD_TOLD, "failure": "llm_failed"}, FAILED),
    ({**DEAD_TOLD, "failure": "model_timeout"}, FAILED),
    ({**STORED, "acked": True, "failure": "internal", "connection_open": True}, FAILED),
    ({**STORED, "replies": 1, "acked": True, "failure": "internal", "connection_open": True},
     FAILED),  # "send again", and the reply was stored after all: in her history
    ({**STORED, "dead_letters": 1}, FAILED),  # dead-lettered after she had gone
    # refused, nothing kept
    ({"refusal": "overloaded", "connection_open": True}, REFUSED),
    ({"refusal": "rate_limited"}, REFUSED),
    ({}, REFUSED),  # sent as her connection closed, nothing kept
    # lost
    ({**DEAD_TOLD, "failure": None}, LOST),  # dead-lettered without the error frame
    ({**DEAD_TOLD, "dead_letters": 0}, LOST),  # told it failed, the job kept nowhere
    ({**DEAD_TOLD, "dead_letters": 0, "replies": 1}, LOST),  # told dead-lettered, answered
    ({**ANSWERED_OPEN, "dones": 0}, LOST),  # a reply stored, the open connection never told
    ({**ANSWERED_OPEN, "acked": False}, LOST),  # answered without an ack
    ({"acked": True, "dones": 1, "connection_open": True}, LOST),  # acknowledged, not stored
    ({"connection_open": True}, LOST),  # neither acknowledged nor refused
    ({**STORED, "acked": True}, LOST),  # stored, neither answered nor dead-lettered
    ({**STORED, "acked": True, "queued": True}, LOST),  # still queued when the wait ran out
    ({**DEAD_TOLD, "unclear": True}, LOST),  # an error without a code or a message
    ({"refusal": "overloaded", "unclear": True, "connection_open": True}, LOST),
    # duplicated
    ({**ANSWERED_OPEN, "user_rows": 2}, DUPLICATED),
    ({**ANSWERED_OPEN, "replies": 2}, DUPLICATED),
    ({**ANSWERED_OPEN, "dones": 2, "done_repeated": True}, DUPLICATED),
    ({**ANSWERED_OPEN, "dead_letters": 1}, DUPLICATED),
    ({**DEAD_TOLD, "dead_letters": 2}, DUPLICATED),
    ({**ANSWERED_OPEN, "failure": "internal"}, DUPLICATED),  # told done and error
    # refused but kept
    ({"refusal": "overloaded", "user_rows": 1}, REFUSED_BUT_KEPT),
    ({"refusal": "overloaded", "queued": True}, REFUSED_BUT_KEPT),
])
def test_each_end_is_classed_as_the_ledger_defines_it(seen, outcome):
    assert judge(Seen(**seen))[0] == outcome, judge(Seen(**seen))


@pytest.mark.parametrize("seen", [
    {**STORED, "acked": True, "queued": True, "connection_open": True},
    {**STORED, "acked": True, "queued": True},  # queued: waited for even when she has gone
    {**STORED, "replies": 1, "acked": True, "connection_open": True},  # done on its way
    {**STORED, "dead_letters": 1, "acked": True, "connection_open": True},  # error on its way
    {"connection_open": True},  # not acknowledged yet
])
def test_before_the_last_round_an_unsettled_message_is_waited_for(seen):
    assert judge(Seen(**seen), final=False)[0] == UNSETTLED


@pytest.mark.parametrize("seen", [ANSWERED_OPEN, DEAD_TOLD, {"refusal": "overloaded",
                                                             "connection_open": True}])
def test_a_settled_message_is_not_waited_for(seen):
    assert judge(Seen(**seen), final=False)[0] != UNSETTLED


def ledger_of(*outcomes: str) -> Ledger:
    return Ledger([Entry(Sent("c", Reply(str(n))), outcome, "why")
                   for n, outcome in enumerate(outcomes)], 0.0)


def test_the_failure_budget_counts_failed_and_refused_against_all_sent():
    ledger_of(*[ANSWERED] * 199, FAILED).assert_answered(failures_under=0.01)
    with pytest.raises(AssertionError, match="2 of 200 messages failed or were refused"):
        ledger_of(*[ANSWERED] * 198, FAILED, REFUSED).assert_answered(failures_under=0.01)
    with pytest.raises(AssertionError, match="1 of 100"):
        ledger_of(*[ANSWERED] * 99, FAILED).assert_answered(failures_under=0.01)


def test_a_budget_of_0_wants_every_message_answered():
    ledger_of(ANSWERED, ANSWERED).assert_answered()
    with pytest.raises(AssertionError):
        ledger_of(ANSWERED, FAILED).assert_answered()


@pytest.mark.parametrize("never", [LOST, DUPLICATED, REFUSED_BUT_KEPT])
def test_no_budget_lets_a_lost_or_duplicated_message_through(never):
    with pytest.raises(AssertionError, match=never):
        ledger_of(*[ANSWERED] * 999, never).assert_answered(failures_under=0.5)
    with pytest.raises(AssertionError, match=never):
        ledger_of(FAILED, never).assert_nothing_lost_or_duplicated()
    ledger_of(FAILED, REFUSED, ANSWERED).assert_nothing_lost_or_duplicated()


# -- the reader, on hand-made frames, rows and queue entries -------------------------------

class Stores:
    """PostgreSQL and Redis as the ledger reads them: rows, dead letters, queued jobs."""

    def __init__(self):
        self.rows, self.dead, self.queued = [], [], []
        self.db, self.queue = self, self

    async def messages_in(self, conversation_ids):
        return [row for row in self.rows if str(row["conversation_id"]) in conversation_ids]

    async def dead_letters_with(self, job_ids):
        return [letter for letter in self.dead if letter["job_id"] in job_ids]

    async def jobs_from(self, client_message_ids):
        return [job for job in self.queued if job["client_message_id"] in client_message_ids]

    def user_row(self, conversation_id, client_message_id, job_id):
        self.rows.append({"conversation_id": conversation_id, "role": "user",
                          "client_message_id": client_message_id, "job_id": job_id})

    def reply_row(self, conversation_id, job_id):
        self.rows.append({"conversation_id": conversation_id, "role": "assistant",
                          "client_message_id": None, "job_id": job_id})


def connection(label="Ada#1", transcript=None) -> ChatConnection:
    return ChatConnection(label, transcript or Transcript())


def receive(conn: ChatConnection, **frame):
    conn.frames.append(conn.transcript.record(conn.label, "received", json.dumps(frame)))


def settle(stores, sent, connections=(), within_s=0.0) -> Ledger:
    return asyncio.run(_settle(stores, sent, list(connections), within_s))


def one_message(stores):
    conversation_id, client_message_id, job_id = (str(uuid.uuid4()) for _ in range(3))
    stores.user_row(conversation_id, client_message_id, job_id)
    return conversation_id, client_message_id, job_id


def test_the_reader_finds_an_answer_shown_on_her_connection():
    stores, ada = Stores(), connection()
    conversation_id, client_message_id, job_id = one_message(stores)
    stores.reply_row(conversation_id, job_id)
    receive(ada, type="ack", job_id=job_id, client_message_id=client_message_id)
    receive(ada, type="chunk", job_id=job_id, attempt=1, seq=0, content="Hi")
    receive(ada, type="done", job_id=job_id, attempt=1, content="Hi")
    ledger = settle(stores, [Sent.of(conversation_id, client_message_id, ada)])
    assert [entry.outcome for entry in ledger.entries] == [ANSWERED], ledger.entries


def test_the_reader_finds_a_dead_letter_her_open_connection_was_not_told_of():
    stores, ada = Stores(), connection()
    conversation_id, client_message_id, job_id = one_message(stores)
    stores.dead.append({"job_id": job_id, "reason": "model down"})
    receive(ada, type="ack", job_id=job_id, client_message_id=client_message_id)
    ledger = settle(stores, [Sent.of(conversation_id, client_message_id, ada)])
    assert [entry.outcome for entry in ledger.entries] == [LOST]
    assert "no error reached her open connection" in ledger.entries[0].why
    receive(ada, type="error", job_id=job_id, client_message_id=client_message_id,
            code="model_unavailable", message="The model is unavailable right now.")
    ledger = settle(stores, [Sent.of(conversation_id, client_message_id, ada)])
    assert [entry.outcome for entry in ledger.entries] == [FAILED]


def test_the_reader_counts_a_done_shown_twice_on_one_connection():
    stores, ada = Stores(), connection()
    conversation_id, client_message_id, job_id = one_message(stores)
    stores.reply_row(conversation_id, job_id)
    receive(ada, type="ack", job_id=job_id, client_message_id=client_message_id)
    for _ in range(2):
        receive(ada, type="done", job_id=job_id, attempt=1, content="Hi")
    ledger = settle(stores, [Sent.of(conversation_id, client_message_id, ada)])
    assert [entry.outcome for entry in ledger.entries] == [DUPLICATED]


def test_the_reader_finds_the_connection_that_sent_a_message_from_the_transcript():
    """A message the scenario followed on her first connection, now closed: not held to
    being told, so the reply in her history is enough."""
    stores, transcript = Stores(), Transcript()
    first, second = connection("Ada#1", transcript), connection("Ada#2", transcript)
    conversation_id, client_message_id, job_id = one_message(stores)
    stores.reply_row(conversation_id, job_id)
    transcript.record("Ada#1", "sent", json.dumps({"type": "message", "content": "Hi",
                                                   "client_message_id": client_message_id}))
    receive(first, type="ack", job_id=job_id, client_message_id=client_message_id)
    first.close_code = 1006
    ledger = settle(stores, [Sent(conversation_id, Reply(client_message_id))], [first, second])
    assert [entry.outcome for entry in ledger.entries] == [ANSWERED]
    assert "connection closed" in ledger.entries[0].why


def test_a_refusal_that_kept_the_message_is_refused_but_kept():
    stores, ada = Stores(), connection()
    conversation_id, client_message_id, _job_id = one_message(stores)
    receive(ada, type="error", client_message_id=client_message_id, code="overloaded",
            message="Too busy; try again in 5 s.", retry_after=5)
    ledger = settle(stores, [Sent.of(conversation_id, client_message_id, ada)])
    assert [entry.outcome for entry in ledger.entries] == [REFUSED_BUT_KEPT]


def test_a_message_still_queued_is_waited_for_then_lost():
    stores, ada = Stores(), connection()
    conversation_id, client_message_id, job_id = one_message(stores)
    stores.queued.append({"job_id": job_id, "conversation_id": conversation_id,
                          "client_message_id": client_message_id})
    receive(ada, type="ack", job_id=job_id, client_message_id=client_message_id)
    ledger = settle(stores, [Sent.of(conversation_id, client_message_id, ada)], within_s=0.3)
    assert [entry.outcome for entry in ledger.entries] == [LOST]
    assert ledger.waited_s >= 0.3 and "still in the queue" in ledger.entries[0].why
