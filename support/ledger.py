"""The ledger: what became of every message a scenario sent, checked across the socket,
Redis (`llm_jobs`, `llm_jobs:dead`) and PostgreSQL.

    ledger = take_ledger(suite, sent_in(cast), cast.connections, within_s=60)
    ledger.report()            # prints the counts and attaches them to the Allure report
    ledger.assert_nothing_lost_or_duplicated()

Each message ends as exactly one of:

    answered once          one reply stored for its job, shown at most once per connection
    failed loudly          accepted, then told it failed (an error frame) or dead-lettered,
                           with no reply stored
    refused, nothing kept  never accepted (an error, or no answer at all) and nothing of it
                           is stored or queued
    lost                   accepted (acknowledged or stored), and never answered nor failed
    duplicated             two user rows, two replies stored, a reply and a dead letter, or
                           the same reply shown twice on one connection
    refused but kept       refused with an error, yet stored or queued

A message still in `llm_jobs` is waited for (bounded); if it is still there at the end it
counts as lost. The last three must be 0.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter, defaultdict
from dataclasses import dataclass

from support import evidence
from support.chat_client import ChatConnection, Reply
from support.console import say
from support.eventually import Deadline

ANSWERED = "answered once"
FAILED = "failed loudly"
REFUSED = "refused, nothing kept"
LOST = "lost"
DUPLICATED = "duplicated"
REFUSED_BUT_KEPT = "refused but kept"
OUTCOMES = (ANSWERED, FAILED, REFUSED, LOST, DUPLICATED, REFUSED_BUT_KEPT)
NEVER = (LOST, DUPLICATED, REFUSED_BUT_KEPT)
UNSETTLED = "still in the queue"  # only while waiting
POLL_S = 0.2


@dataclass(frozen=True)
class Sent:
    """One message a scenario sent, and the conversation it went to."""
    conversation_id: str
    reply: Reply


@dataclass(frozen=True)
class Entry:
    sent: Sent
    outcome: str
    why: str


def sent_in(cast) -> list[Sent]:
    """Every message the people of a scenario sent through ask() or send()."""
    return [Sent(conversation_id, reply)
            for person in cast.people.values()
            for conversation_id, exchanges in person.exchanges.items()
            for _text, reply in exchanges]


@dataclass
class Facts:
    """What the stores and the sockets hold about the sent messages, read once."""
    user_rows: dict
    answers: dict
    dead: dict
    queued_jobs: set
    queued_messages: set
    shown: dict  # job_id -> the most done frames one connection received for it


async def _read_facts(suite, sent: list[Sent], connections: list[ChatConnection]) -> Facts:
    rows = await suite.db.messages_in({s.conversation_id for s in sent})
    user_rows, answers = defaultdict(list), defaultdict(list)
    for row in rows:
        if row["role"] == "user":
            user_rows[(str(row["conversation_id"]), row["client_message_id"])].append(row)
        elif row["job_id"] is not None:
            answers[str(row["job_id"])].append(row)
    job_ids = {s.reply.job_id for s in sent if s.reply.job_id}
    job_ids |= {str(row["job_id"]) for rows_ in user_rows.values() for row in rows_}
    dead = defaultdict(list)
    for letter in await suite.queue.dead_letters_with(job_ids):
        dead[letter["job_id"]].append(letter)
    queued = await suite.queue.jobs_from({s.reply.client_message_id for s in sent})
    shown = Counter()
    for connection in connections:
        per_job = Counter(frame.data["job_id"] for frame in list(connection.frames)
                          if frame.data and frame.data.get("type") == "done")
        for job_id, times in per_job.items():
            shown[job_id] = max(shown[job_id], times)
    return Facts(user_rows, answers, dead, {entry["job_id"] for entry in queued},
                 {entry["client_message_id"] for entry in queued}, shown)


def classify(sent: Sent, facts: Facts) -> Entry:
    reply = sent.reply
    users = facts.user_rows.get((sent.conversation_id, reply.client_message_id), [])
    job_id = reply.job_id or (str(users[0]["job_id"]) if users else None)
    answers, dead = facts.answers.get(job_id, []), facts.dead.get(job_id, [])
    shown = facts.shown.get(job_id, 0)
    queued = job_id in facts.queued_jobs or reply.client_message_id in facts.queued_messages

    def entry(outcome: str, why: str) -> Entry:
        return Entry(sent, outcome, f"{reply.client_message_id} (job {job_id}): {why}")
    if len(users) > 1 or len(answers) > 1 or shown > 1 or (answers and dead):
        return entry(DUPLICATED, f"{len(users)} user rows, {len(answers)} replies stored, "
                                 f"{len(dead)} dead letters, shown {shown} times on one connection")
    if reply.ack is None and reply.error is not None and (users or queued):
        return entry(REFUSED_BUT_KEPT, f"refused with {reply.error.get('code')}, yet "
                                       f"{len(users)} rows stored, queued: {queued}")
    if not users:
        if reply.ack is not None:
            return entry(LOST, "acknowledged, but no message stored")
        return entry(REFUSED, f"not accepted ({reply.describe()})") if not queued else \
            entry(REFUSED_BUT_KEPT, "not accepted, yet queued")
    if answers:
        return entry(ANSWERED, "one reply stored")
    if queued:
        return entry(UNSETTLED, "still in the queue")
    if dead or reply.error is not None:
        told = reply.error.get("code") if reply.error else None
        return entry(FAILED, f"error {told}, {len(dead)} dead letters")
    return entry(LOST, f"stored, out of the queue, never answered nor failed ({reply.describe()})")


@dataclass
class Ledger:
    entries: list[Entry]
    waited_s: float

    def counts(self) -> dict[str, int]:
        tally = Counter(entry.outcome for entry in self.entries)
        return {outcome: tally[outcome] for outcome in OUTCOMES}

    def of(self, outcome: str) -> list[Entry]:
        return [entry for entry in self.entries if entry.outcome == outcome]

    def summary(self) -> str:
        counts = ", ".join(f"{count} {outcome}" for outcome, count in self.counts().items())
        return f"ledger of {len(self.entries)} messages: {counts}"

    def report(self):
        """Print the counts and attach them, with the reason for every bad outcome."""
        say(self.summary())
        details = {"counts": self.counts(), "waited_s": round(self.waited_s, 1),
                   "bad": {outcome: [entry.why for entry in self.of(outcome)][:50]
                           for outcome in NEVER}}
        evidence.attach(json.dumps(details, indent=2), "ledger", evidence.JSON)

    def assert_nothing_lost_or_duplicated(self):
        bad = [entry.why for outcome in NEVER for entry in self.of(outcome)]
        assert not bad, f"{self.summary()}; e.g. " + "; ".join(bad[:5])

    def assert_all(self, outcome: str):
        """Every message ended this way (and so nothing was lost or duplicated)."""
        others = [entry for entry in self.entries if entry.outcome != outcome]
        assert not others, (f"{self.summary()}; wanted all {outcome}, e.g. "
                            + "; ".join(f"{entry.outcome}: {entry.why}" for entry in others[:5]))


async def _settle(suite, sent, connections, within_s: float) -> Ledger:
    deadline = Deadline(within_s)
    while True:
        facts = await _read_facts(suite, sent, connections)
        entries = [classify(s, facts) for s in sent]
        if not any(e.outcome == UNSETTLED for e in entries) or deadline.left() <= 0:
            break
        await asyncio.sleep(min(POLL_S, deadline.left()))
    entries = [Entry(e.sent, LOST, e.why + f" after {within_s} s") if e.outcome == UNSETTLED
               else e for e in entries]
    return Ledger(entries, within_s - deadline.left())


def take_ledger(suite, sent: list[Sent], connections: list[ChatConnection],
                within_s: float = 60) -> Ledger:
    """Wait (at most within_s) for every accepted message to leave the queue, then classify
    each message sent; print and attach the counts."""
    ledger = suite.run(_settle(suite, sent, connections, within_s), within_s + 60,
                       "taking the ledger")
    ledger.report()
    return ledger
