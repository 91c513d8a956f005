"""What became of one message, and the one rule that classes it: what was sent (Sent), what
the stores and the sockets hold about it (Seen), judge(), and the entry it makes in the ledger
(Entry). Plain data in, an outcome out: support/probes/ledger_reading.py reads what is seen,
support/probes/ledger.py takes the ledger.

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
"""

from __future__ import annotations

from dataclasses import dataclass

from support.chat.client import ChatConnection
from support.chat.reply import Reply

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


@dataclass(frozen=True)
class Entry:
    """One message's line in the ledger: its outcome, why, and what was seen of it."""
    sent: Sent
    outcome: str
    why: str
    seen: Seen = Seen()

