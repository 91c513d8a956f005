"""The ledger: what became of every message a scenario sent, judged one way for every
scenario that counts messages (provider and infrastructure faults, crashed workers, the
flood, capacity), across the socket, Redis (`llm_jobs`, `llm_jobs:dead`) and PostgreSQL.

    ledger = take_ledger(suite, sent_in(cast), cast.connections, within_s=60)
    ledger.assert_nothing_lost_or_duplicated()     # failing loudly is allowed
    ledger.assert_answered(failures_under=0.01)    # under 1 % failed, the rest answered once
    ledger.assert_all(ANSWERED)                    # failure budget 0

Each message ends as exactly one of six classes: answered once, failed loudly, refused with
nothing kept, lost, duplicated, or refused but kept. support/probes/ledger_judge.py defines
each, and the words they use, in its docstring; support/probes/ledger_reading.py reads the
socket, Redis and PostgreSQL for each message.

The ledger waits (bounded) while a message is still in `llm_jobs` or its open connection has
not yet been told how it ended; whatever is still so when the wait runs out is lost.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass
from typing import Callable

from support.chat.client import ChatConnection
from support.console import say
from support.eventually import Deadline
from support.probes.ledger_judge import (ANSWERED, NEVER, OUTCOMES, TOLD_OF_FAILURE, UNSETTLED,
                                         Entry, Sent)
from support.probes.ledger_reading import LedgerReader

POLL_S = 0.25
EXAMPLES = 50  # reasons kept per outcome in the report

# Who is given a ledger's details when it is reported: the behave hooks, which attach them to
# the Allure report (probes/ may not import report/). Outside a behave run no one is.
_report_handler: Callable[[dict], None] | None = None


def on_report(handler: Callable[[dict], None] | None):
    """Give every ledger's details to handler when it is reported; one handler at a time, the
    last given (the behave hooks give it again on every run in the same process)."""
    global _report_handler
    _report_handler = handler


# -- what was sent ------------------------------------------------------------------------

def sent_in(cast) -> list[Sent]:
    """Every message the people of a scenario sent through ask(), send() or post()."""
    return [sent for person in cast.people.values() for sent in sent_by(person)]


def sent_by(person) -> list[Sent]:
    """Every message one person sent through ask(), send() or post()."""
    return [Sent(conversation_id, reply)
            for conversation_id, exchanges in person.exchanges.items()
            for _text, reply in exchanges]


# -- the ledger ---------------------------------------------------------------------------

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
        """Print the counts and hand them, with the reason for every outcome but answered
        once (the first EXAMPLES of each), to the handler given to on_report."""
        say(self.summary())
        details = {"counts": self.counts(), "waited_s": round(self.waited_s, 1),
                   "why": {outcome: [entry.why for entry in self.of(outcome)][:EXAMPLES]
                           for outcome in OUTCOMES if outcome != ANSWERED}}
        if _report_handler is not None:
            _report_handler(details)

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
    reader = LedgerReader(suite, sent, connections)
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
    to be told how it ended, then classify each message sent; print the counts and hand them
    on (on_report)."""
    ledger = suite.run(_settle(suite, sent, connections, within_s), within_s + 60,
                       "taking the ledger")
    ledger.report()
    return ledger
