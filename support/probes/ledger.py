"""The ledger: what became of every message a scenario sent, judged one way for every
scenario that counts messages (provider and infrastructure faults, crashed workers, the
flood, capacity), across the socket, Redis (`llm_jobs`, `llm_jobs:dead`) and PostgreSQL.

    ledger = take_ledger(suite, sent_in(cast), cast.connections, within_s=60)
    ledger.assert_nothing_lost_or_duplicated()     # failing loudly is allowed
    ledger.assert_answered(failures_under=0.01)    # under 1 % failed, the rest answered once
    ledger.assert_all(ANSWERED)                    # failure budget 0

Words. A message's *connection* is the one that sent it. *Told* means a frame about the
message reached that connection: an `ack` (its client_message_id), a `done` or an `error`
(its job_id or client_message_id). A connection still open when the ledger is taken was open
all along, so it must have been told how its message ended; a connection that had closed
(she hung up, or the engine went away) is not held to that, since the ledger cannot know
whether it closed before the message ended (docs/contract.md, section 2: "A client that
goes away"). Kept: a user row in PostgreSQL, the job in `llm_jobs`, a reply stored, or a
dead letter.

Each message ends as exactly one of these (contract sections 2 to 5):

answered once
    Her message is stored once, exactly one reply is stored for its job, there is no dead
    letter, and the job has left `llm_jobs`. An open connection got the ack and exactly one
    `done` for it, and no `error` after the ack; a closed one got at most one `done`.
failed loudly
    Accepted (acknowledged, or kept) and stored once, out of `llm_jobs`, and she was told:
    an `error` after the ack reached her connection, with no `done`. An error code that
    says the job was dead-lettered (`llm_failed`, `model_unavailable`, `model_timeout`:
    contract 3 and 4) needs exactly one dead letter for the job and no reply stored. Another
    code (`internal`, "send again"; `unavailable`, the reply could not be passed on) promises
    no dead letter; a reply stored after it is in her history. On a closed connection, one
    dead letter and no reply is failing loudly: there was no one left to tell.
refused, nothing kept
    Never acknowledged, nothing of it kept, and her connection got an `error` for it (or
    had closed: sent as the connection went away).
lost
    Every other end: acknowledged but not stored; stored and neither answered nor
    dead-lettered; an end her open connection was never told (a reply without its `done`,
    a dead letter without its `error`, no ack and no error at all); an error without a code
    or without a message (contract 3: every error has both); an error that says the job was
    dead-lettered when no dead letter was written; still in `llm_jobs` when the ledger's
    wait ran out.
duplicated
    Two user rows, two replies, two dead letters, a reply and a dead letter, more `done`
    frames for it on one connection than times it was sent there, or both a `done` and an
    `error` after the ack.
refused but kept
    Refused with an `error` and never acknowledged, yet kept.

Lost, duplicated and refused-but-kept must always be 0. A scenario states its failure
budget: how many messages may end failed loudly or refused (told, nothing half-kept)
instead of answered once; 0 for most, under 1 % for capacity.

The ledger waits (bounded) while a message is still in `llm_jobs` or its open connection has
not yet been told how it ended; whatever is still so when the wait runs out is lost. It
reads PostgreSQL in one query for all conversations and each Redis stream once a round, so
it stays quick for thousands of messages.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter, defaultdict
from dataclasses import dataclass

from support.report import evidence
from support.chat.client import ChatConnection
from support.chat.reply import Reply
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
TOLD_OF_FAILURE = (FAILED, REFUSED)  # what a failure budget counts
UNSETTLED = "not settled yet"  # only while waiting
# The error codes that say the job was dead-lettered (docs/contract.md, sections 3 and 4).
DEAD_LETTER_CODES = frozenset({"llm_failed", "model_unavailable", "model_timeout"})
POLL_S = 0.25
EXAMPLES = 50  # reasons kept per outcome in the report


# -- what was sent ------------------------------------------------------------------------

@dataclass(frozen=True)
class Sent:
    """One message a scenario sent: its conversation, what the scenario followed of it, and
    the connection that sent it (None: found from the connections' transcripts)."""
    conversation_id: str
    reply: Reply
    connection: ChatConnection | None = None

    @property
    def client_message_id(self) -> str | None:
        return self.reply.client_message_id

    @classmethod
    def of(cls, conversation_id: str, client_message_id: str,
           connection: ChatConnection) -> "Sent":
        """A message known by its id alone (the load driver's)."""
        return cls(conversation_id, Reply(client_message_id), connection)


def sent_in(cast) -> list[Sent]:
    """Every message the people of a scenario sent through ask(), send() or post()."""
    return [sent for person in cast.people.values() for sent in sent_by(person)]


def sent_by(person) -> list[Sent]:
    """Every message one person sent through ask(), send() or post()."""
    return [Sent(conversation_id, reply)
            for conversation_id, exchanges in person.exchanges.items()
            for _text, reply in exchanges]


# -- what became of one message, as plain data ----------------------------------------------

@dataclass(frozen=True)
class Seen:
    """What the stores and the sockets hold about one message."""
    user_rows: int = 0  # her message's rows in PostgreSQL
    replies: int = 0  # replies stored for its job
    dead_letters: int = 0  # entries for its job in llm_jobs:dead
    queued: bool = False  # its job is still in llm_jobs
    acked: bool = False  # her connection got an ack for it
    refusal: str | None = None  # the code of an error her connection got with no ack before
    failure: str | None = None  # the code of an error her connection got after the ack
    unclear: bool = False  # an error about it came without a code or without a message
    dones: int = 0  # done frames for its job on her connection
    done_repeated: bool = False  # a connection got more done frames than it sent the message
    connection_open: bool = False  # her connection is still open: she must have been told

    @property
    def kept(self) -> bool:
        return bool(self.user_rows or self.queued or self.replies or self.dead_letters)

    @property
    def told_the_end(self) -> bool:
        return bool(self.dones or self.failure or (self.refusal and not self.acked))

    def describe(self) -> str:
        told = ["ack" if self.acked else "no ack"]
        told += [f"error {self.refusal} before any ack"] if self.refusal else []
        told += [f"error {self.failure} after the ack"] if self.failure else []
        told += [f"{self.dones} done"]
        return (f"{self.user_rows} user rows, {self.replies} replies, {self.dead_letters} "
                f"dead letters, {'still' if self.queued else 'not'} queued; told: "
                f"{', '.join(told)}; connection {'open' if self.connection_open else 'closed'}")


def judge(seen: Seen, final: bool = True) -> tuple[str, str]:
    """The outcome of one message, and why (the module docstring defines each). Before the
    final round, a message still queued or not yet told on its open connection is
    UNSETTLED: the ledger waits for it."""
    s = seen
    if not final and (s.queued or (s.connection_open and not s.told_the_end)):
        return UNSETTLED, "still in the queue" if s.queued else "not yet told how it ended"
    if (s.user_rows > 1 or s.replies > 1 or s.dead_letters > 1 or (s.replies and s.dead_letters)
            or s.done_repeated or (s.dones and s.failure)):
        return DUPLICATED, "stored, answered, dead-lettered or told more than once"
    if s.unclear:
        return LOST, "told with an error that has no code or no message (contract 3)"
    if s.refusal and not s.acked:
        if s.kept:
            return REFUSED_BUT_KEPT, f"refused with {s.refusal}, yet kept"
        return REFUSED, f"refused with {s.refusal}"
    if not s.acked and not s.kept:
        if s.connection_open:
            return LOST, "neither acknowledged nor refused, on a connection still open"
        return REFUSED, "not taken: its connection had closed"
    if not s.user_rows:
        return LOST, "accepted, but her message is not stored"
    if s.queued:
        return LOST, "still in the queue when the ledger's wait ran out"
    if s.failure:
        if s.failure not in DEAD_LETTER_CODES:
            return FAILED, f"told {s.failure}" + (", its reply stored later" if s.replies else "")
        if s.dead_letters == 1 and not s.replies:
            return FAILED, f"told {s.failure}, dead-lettered"
        return LOST, (f"told {s.failure}, which says the job was dead-lettered, but "
                      f"{s.dead_letters} dead letters and {s.replies} replies")
    if s.replies:
        if s.connection_open and not (s.acked and s.dones == 1):
            return LOST, "a reply is stored, but her open connection was not told (ack, done)"
        return ANSWERED, "one reply stored"
    if s.dead_letters:
        if s.connection_open:
            return LOST, "dead-lettered, but no error reached her open connection"
        return FAILED, "dead-lettered after her connection had closed"
    return LOST, "stored, out of the queue, neither answered nor dead-lettered"


# -- reading the stores and the sockets -----------------------------------------------------

class _Told:
    """The frames one connection received, indexed by message and by job; each round reads
    only the frames that arrived since the last."""

    def __init__(self, connection: ChatConnection):
        self.connection = connection
        self.read = 0
        self.by_message: dict[str, list] = defaultdict(list)  # client_message_id -> frames
        self.by_job: dict[str, list] = defaultdict(list)  # job_id -> frames
        self.dones: Counter = Counter()  # job_id -> done frames

    def catch_up(self):
        frames = self.connection.frames
        for position in range(self.read, len(frames)):
            data = frames[position].data or {}
            if data.get("client_message_id"):
                self.by_message[data["client_message_id"]].append((position, data))
            if data.get("job_id") and data.get("type") in ("chunk", "done", "error"):
                self.by_job[data["job_id"]].append((position, data))
                self.dones[data["job_id"]] += data["type"] == "done"
        self.read = len(frames)

    def about(self, client_message_id: str | None) -> tuple[str | None, list[dict]]:
        """Its job id (from the first ack) and every frame about it, in arrival order."""
        mine = self.by_message.get(client_message_id, []) if client_message_id else []
        job_id = next((data.get("job_id") for _, data in mine if data.get("type") == "ack"),
                      None)
        frames = dict(mine)
        frames.update(self.by_job.get(job_id, []) if job_id else [])
        return job_id, [frames[position] for position in sorted(frames)]


class _Reader:
    """Reads, round after round, what the stores and the sockets hold about the messages."""

    def __init__(self, suite, sent: list[Sent], connections: list[ChatConnection]):
        self.suite, self.sent = suite, sent
        known = {id(c): c for c in connections}
        known.update({id(s.connection): s.connection for s in sent if s.connection})
        self.told = {key: _Told(connection) for key, connection in known.items()}
        senders = self._senders(list(known.values())) if any(
            s.connection is None for s in sent) else {}
        self.connection_of = [s.connection or senders.get(s.client_message_id) for s in sent]
        self.sends = Counter((id(c), s.client_message_id)
                             for s, c in zip(sent, self.connection_of) if c is not None)

    @staticmethod
    def _senders(connections: list[ChatConnection]) -> dict:
        """client_message_id -> the connection whose transcript shows it sent it."""
        by_label = {c.label: c for c in connections}
        senders = {}
        for transcript in {id(c.transcript): c.transcript for c in connections}.values():
            for frame in transcript.frames:
                if frame.direction == "sent" and frame.connection in by_label:
                    client_message_id = (frame.data or {}).get("client_message_id")
                    if client_message_id:
                        senders.setdefault(client_message_id, by_label[frame.connection])
        return senders

    async def read(self, final: bool) -> list["Entry"]:
        for told in self.told.values():
            told.catch_up()
        shown = defaultdict(list)  # job_id -> [(connection key, done frames)]
        for key, told in self.told.items():
            for job_id, count in told.dones.items():
                if count:
                    shown[job_id].append((key, count))
        # Redis first: a job leaves llm_jobs only after its reply is stored, or in the same
        # step as its dead letter, so what is out of the queue here is settled in what is
        # read next. (Read the other way round, a reply stored between the two reads would
        # look missing.)
        queued = await self.suite.queue.jobs_from({s.client_message_id for s in self.sent})
        rows = await self.suite.db.messages_in({s.conversation_id for s in self.sent})
        users, replies, row_jobs = Counter(), Counter(), {}
        for row in rows:
            if row["role"] == "user":
                key = (str(row["conversation_id"]), row["client_message_id"])
                users[key] += 1
                if row["job_id"] is not None:
                    row_jobs[key] = str(row["job_id"])
            elif row["job_id"] is not None:
                replies[str(row["job_id"])] += 1
        on_socket = [self._on_socket(index, shown) for index in range(len(self.sent))]
        job_ids = {job_id for job_id, _ in on_socket if job_id} | set(row_jobs.values())
        dead = Counter(letter["job_id"]
                       for letter in await self.suite.queue.dead_letters_with(job_ids))
        queued_jobs = {entry.get("job_id") for entry in queued}
        queued_messages = {(entry.get("conversation_id"), entry.get("client_message_id"))
                           for entry in queued}
        entries = []
        for sent, (job_id, told) in zip(self.sent, on_socket):
            key = (sent.conversation_id, sent.client_message_id)
            job_id = job_id or row_jobs.get(key)
            seen = Seen(user_rows=users[key], replies=replies[job_id] if job_id else 0,
                        dead_letters=dead[job_id] if job_id else 0,
                        queued=job_id in queued_jobs or key in queued_messages, **told)
            outcome, why = judge(seen, final)
            entries.append(Entry(sent, outcome, f"{sent.client_message_id} (job {job_id}): "
                                                f"{why}; {seen.describe()}", seen))
        return entries

    def _on_socket(self, index: int, shown: dict) -> tuple[str | None, dict]:
        """Its job id as told, and what its connection was told of it (Seen's fields)."""
        sent, connection = self.sent[index], self.connection_of[index]
        if connection is None:  # sent on a connection not given: what the scenario followed
            reply = sent.reply
            error = reply.error.get("code") if reply.error else None
            return reply.job_id, {"acked": reply.ack is not None,
                                  "dones": int(reply.done is not None),
                                  "refusal": None if reply.ack else error,
                                  "failure": error if reply.ack else None,
                                  "unclear": reply.error is not None and not (
                                      reply.error.get("code") and reply.error.get("message"))}
        job_id, frames = self.told[id(connection)].about(sent.client_message_id)
        acked, refusal, failure, unclear = False, None, None, False
        for data in frames:
            kind = data.get("type")
            if kind == "ack":
                acked = True
            elif kind == "error":
                code = data.get("code") or "no code"
                unclear = unclear or not (data.get("code") and data.get("message"))
                if acked:
                    failure = failure or code
                else:
                    refusal = refusal or code
        repeated = any(count > max(1, self.sends[(key, sent.client_message_id)])
                       for key, count in shown.get(job_id, []))
        return job_id, {"acked": acked, "refusal": refusal, "failure": failure, "unclear": unclear,
                        "dones": self.told[id(connection)].dones[job_id] if job_id else 0,
                        "done_repeated": repeated,
                        "connection_open": connection.close_code is None}


# -- the ledger ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Entry:
    sent: Sent
    outcome: str
    why: str
    seen: Seen = Seen()


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
        counts = "; ".join(f"{count} {outcome}" for outcome, count in self.counts().items())
        return (f"ledger of {len(self.entries)} message{'' if len(self.entries) == 1 else 's'}: "
                f"{counts}")

    def report(self):
        """Print the counts and attach them, with the reason for every outcome but answered
        once (the first EXAMPLES of each)."""
        say(self.summary())
        details = {"counts": self.counts(), "waited_s": round(self.waited_s, 1),
                   "why": {outcome: [entry.why for entry in self.of(outcome)][:EXAMPLES]
                           for outcome in OUTCOMES if outcome != ANSWERED}}
        evidence.attach(json.dumps(details, indent=2), "ledger", evidence.JSON)

    def _examples(self, entries: list[Entry]) -> str:
        return "; ".join(f"{entry.outcome}: {entry.why}" for entry in entries[:5])

    def assert_nothing_lost_or_duplicated(self):
        """None lost, duplicated, or refused but kept (which a resend would answer twice);
        failing loudly and being refused are allowed."""
        bad = [entry for outcome in NEVER for entry in self.of(outcome)]
        assert not bad, f"{self.summary()}; e.g. {self._examples(bad)}"

    def assert_answered(self, failures_under: float = 0.0):
        """Every message answered once, except fewer than `failures_under` of all sent (a
        share, 0.01 for 1 %) that failed loudly or were refused; with 0, every one answered.
        None lost, duplicated, or refused but kept."""
        self.assert_nothing_lost_or_duplicated()
        told = [entry for outcome in TOLD_OF_FAILURE for entry in self.of(outcome)]
        allowed = failures_under * len(self.entries)
        assert self.entries, "no message was sent"
        budget = f"under {failures_under:.0%}" if failures_under else "none"
        assert not told or len(told) < allowed, (
            f"{len(told)} of {len(self.entries)} messages failed or were refused "
            f"({len(told) / len(self.entries):.1%}), the budget is {budget}; "
            f"{self.summary()}; e.g. {self._examples(told)}")

    def assert_all(self, outcome: str):
        """Every message ended this way (and so nothing was lost or duplicated)."""
        others = [entry for entry in self.entries if entry.outcome != outcome]
        assert self.entries, "no message was sent"
        assert not others, f"{self.summary()}; wanted all {outcome}, e.g. {self._examples(others)}"


async def _settle(suite, sent: list[Sent], connections: list[ChatConnection],
                  within_s: float) -> Ledger:
    deadline = Deadline(within_s)
    reader = _Reader(suite, sent, connections)
    loop = asyncio.get_running_loop()
    while True:
        began = loop.time()
        entries = await reader.read(final=False)
        if not any(entry.outcome == UNSETTLED for entry in entries) or deadline.left() <= 0:
            break
        # A round over thousands of messages costs time: wait at least twice that long, so
        # reading takes at most a third of the engine's machine while it works.
        await asyncio.sleep(min(max(POLL_S, 2 * (loop.time() - began)), deadline.left()))
    return Ledger(await reader.read(final=True), within_s - deadline.left())


async def account(suite, sent: list[Sent], connections: list[ChatConnection],
                  within_s: float = 60) -> Ledger:
    """The ledger, on the suite's event loop (for drivers that run there): wait at most
    within_s for every message to settle, then classify each."""
    return await _settle(suite, sent, connections, within_s)


def take_ledger(suite, sent: list[Sent], connections: list[ChatConnection],
                within_s: float = 60) -> Ledger:
    """Wait (at most within_s) for every message to leave the queue and its open connection
    to be told how it ended, then classify each message sent; print and attach the counts."""
    ledger = suite.run(_settle(suite, sent, connections, within_s), within_s + 60,
                       "taking the ledger")
    ledger.report()
    return ledger
