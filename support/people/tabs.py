"""One person with one conversation open on several connections at once: her tabs.

    tabs = Tabs.open(cast, cast.person("Ada"), count=2)  # a new conversation, open twice
    first, second = tabs.send_together(["From one", "From two"])  # one per tab, at once
    tabs.follow(first)                                   # on the tab that sent it
    tabs.close(0)                                        # her first tab goes away
    again = tabs.resend(first, on=1)                     # the same id, from the other tab
    tabs.frames_about(0, first)                          # every frame tab 0 got about it

Each message is remembered as what she said (person.exchanges), once however often it is
sent, so history and ledger checks read it as any other; each send is followed on the tab
that made it.
"""

from __future__ import annotations

import asyncio

from support.chat.client import ChatConnection
from support.chat.reply import Reply
from support.eventually import Deadline

OPEN_WITHIN_S = 10
REPLY_WITHIN_S = 30  # default bound for a whole reply


class Tabs:
    def __init__(self, cast, person, connections: list[ChatConnection]):
        self.cast = cast
        self.person = person
        self.connections = connections
        self.sent_on: dict[int, int] = {}  # id(reply) -> the tab that sent it

    @classmethod
    def open(cls, cast, person, count: int = 2) -> "Tabs":
        """She starts a new conversation on one connection, then opens it on count - 1 more."""
        person.start_conversation()
        url = cast.url_for(person, person.conversation_id)
        more = [cast.new_connection(person) for _ in range(count - 1)]

        async def open_all():
            await asyncio.gather(*(connection.open(url, OPEN_WITHIN_S) for connection in more))
        person.suite.run(open_all(), OPEN_WITHIN_S + 5, f"{person.name} opening more tabs")
        return cls(cast, person, [person.connection, *more])

    def send_together(self, texts: list[str]) -> list[Reply]:
        """texts[i] from tab i, all at the same moment; wait for nothing."""
        async def send_all():
            return await asyncio.gather(*(connection.send_message(text)
                                          for connection, text in zip(self.connections, texts)))
        ids = self.person.suite.run(send_all(), OPEN_WITHIN_S, f"{self.person.name} sending "
                                    f"from {len(texts)} tabs")
        return [self._sent(tab, text, Reply(client_message_id))
                for tab, (text, client_message_id) in enumerate(zip(texts, ids))]

    def send(self, tab: int, text: str) -> Reply:
        """A message from that tab; wait for nothing."""
        client_message_id = self.person.suite.run(self.connections[tab].send_message(text),
                                                  OPEN_WITHIN_S, f"sending from tab {tab + 1}")
        return self._sent(tab, text, Reply(client_message_id))

    def resend(self, reply: Reply, on: int) -> Reply:
        """The message of that reply sent again, same content and id, from tab `on`; the
        new Reply follows what that tab is told of it."""
        text = self.text_of(reply)
        self.person.suite.run(self.connections[on].send_message(text, reply.client_message_id),
                              OPEN_WITHIN_S, f"sending again from tab {on + 1}")
        again = Reply(reply.client_message_id)
        self.sent_on[id(again)] = on
        return again

    def follow(self, reply: Reply, until: str = "finished",
               within_s: float = REPLY_WITHIN_S) -> Reply:
        """Wait on the tab that sent it until the reply is finished (or the named state)."""
        tab = self.sent_on[id(reply)]
        self.person.suite.run(self.connections[tab].follow(reply, Deadline(within_s), until),
                              within_s + 5, f"tab {tab + 1} waiting for a reply to be {until}")
        return reply

    def close(self, tab: int):
        self.person.suite.run(self.connections[tab].close(), OPEN_WITHIN_S,
                              f"{self.person.name} closing tab {tab + 1}")

    def frames_about(self, tab: int, reply: Reply) -> list[dict]:
        """Every frame that tab received naming this message by its id or its job."""
        return [frame.data for frame in self.connections[tab].frames
                if frame.data and Reply(reply.client_message_id, ack=reply.ack).belongs_here(
                    frame.data)]

    def text_of(self, reply: Reply) -> str:
        for text, sent in self.person.exchanges_here():
            if sent is reply:
                return text
        raise AssertionError(f"{self.person.name} never sent {reply.describe()}")

    def _sent(self, tab: int, text: str, reply: Reply) -> Reply:
        self.person.remember(text, reply)
        self.sent_on[id(reply)] = tab
        return reply


def taken_in_order(person) -> list[tuple[str, Reply]]:
    """Her exchanges in the order the engine took her messages: the order of her messages in
    her history (contract, section 5). The history must hold exactly her messages, under
    the ids of their acks, and the answers she was shown, under the ids of their dones,
    each after its own message, in the order of the messages (section 4: one answer after
    another)."""
    said = {reply.job_id: (text, reply) for text, reply in person.exchanges_here()}
    rows = person.history()
    shown = [(row["role"], row["content"], str(row["job_id"])) for row in rows]
    assert len(rows) == 2 * len(said), f"her history is {shown}, she sent {len(said)} messages"
    users = [row for row in rows if row["role"] == "user"]
    answers = [row for row in rows if row["role"] == "assistant"]
    order = [said.get(str(row["job_id"])) for row in users]
    assert None not in order and len(set(map(id, order))) == len(said), (
        f"her history is {shown}; she sent {[text for text, _ in said.values()]}")
    for user, answer, (text, reply) in zip(users, answers, order):
        assert (user["content"], str(user["id"])) == (text, reply.ack["message_id"]), (
            f"stored {dict(user)} for {reply.describe()}")
        assert (str(answer["job_id"]), answer["content"], str(answer["id"])) == (
            reply.job_id, reply.content, reply.done["message_id"]), (
            f"her history is {shown}: the answers are not in the order of the messages, or "
            f"not the ones she was shown ({reply.describe()})")
        assert rows.index(answer) > rows.index(user), f"her history is {shown}: an answer before its message"
    return order
