"""After a load run: every acknowledged message answered exactly once, stored once, and
nothing lost, checked on the socket, in Redis and in PostgreSQL.

    ledger = await audit(run, suite.queue, suite.db)
    ledger.problems     # one sentence per kind of problem, with a few examples each
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

EXAMPLES = 3  # messages named per kind of problem


@dataclass
class Ledger:
    sent: int = 0
    acknowledged: int = 0
    answered: int = 0
    stored_messages: int = 0
    stored_replies: int = 0
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"{self.sent} sent, {self.acknowledged} acknowledged, {self.answered} answered "
                f"on the socket; {self.stored_messages} messages and {self.stored_replies} "
                f"replies stored")

    def note(self, what: str, examples: list[str]):
        if examples:
            self.problems.append(f"{len(examples)} {what}, e.g. {', '.join(examples[:EXAMPLES])}")


async def audit(run, queue, db) -> Ledger:
    ledger = Ledger(sent=len(run.messages))
    acked = [m for m in run.messages if m.ack_at is not None]
    ledger.acknowledged = len(acked)
    ledger.answered = sum(m.done_at is not None for m in acked)

    # On the socket: one done (or one error) for every acknowledged message.
    ledger.note("acknowledged messages never answered on the socket",
                [f"{m.caller}/{m.job_id}" for m in acked if m.dones == 0 and not m.error_code])
    ledger.note("messages answered more than once on the socket",
                [f"{m.caller}/{m.job_id} ({m.dones} done frames)" for m in acked if m.dones > 1])

    # In PostgreSQL: each acknowledged message stored once, each answered one's reply once,
    # nothing stored for a refused one, and no reply to a job nobody was told about.
    rows = await db.messages_in({caller.conversation_id for caller in run.callers
                                 if caller.messages})
    mine = Counter(row["client_message_id"] for row in rows if row["role"] == "user")
    replies = Counter(str(row["job_id"]) for row in rows if row["role"] == "assistant")
    ledger.stored_messages, ledger.stored_replies = sum(mine.values()), sum(replies.values())
    ledger.note("acknowledged messages not stored exactly once",
                [f"{m.caller}/{m.client_message_id} ({mine[m.client_message_id]} rows)"
                 for m in acked if mine[m.client_message_id] != 1])
    ledger.note("answered messages whose reply is not stored exactly once",
                [f"{m.caller}/{m.job_id} ({replies[m.job_id]} rows)"
                 for m in acked if m.done_at is not None and replies[m.job_id] != 1])
    ledger.note("turned-away messages stored anyway",
                [f"{m.caller}/{m.client_message_id}" for m in run.messages
                 if m.ack_at is None and mine[m.client_message_id]])
    job_ids = {m.job_id for m in acked}
    ledger.note("replies stored for jobs no one was acknowledged",
                [job for job in replies if job not in job_ids])

    # In Redis: none of these jobs still queued, none dead-lettered unless it failed.
    ledger.note("acknowledged jobs still in the queue",
                [entry["job_id"] for entry in await queue.jobs_with(job_ids)])
    failed = {m.job_id for m in acked if m.error_code}
    ledger.note("answered jobs in the dead letters",
                [entry["job_id"] for entry in await queue.dead_letters_with(job_ids)
                 if entry["job_id"] not in failed])
    return ledger
