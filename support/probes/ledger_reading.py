"""Reading, round after round, what the socket, Redis (`llm_jobs`, `llm_jobs:dead`) and
PostgreSQL hold about each message a scenario sent, and judging it (ledger_judge.py). It
reads PostgreSQL in one query for all conversations and each Redis stream once a round, so
it stays quick for thousands of messages.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from support.chat.client import ChatConnection
from support.probes.ledger_judge import Entry, Seen, Sent, judge


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


class LedgerReader:
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
