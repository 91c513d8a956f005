"""The people of one scenario: who they are, the frames they exchanged and the jobs they
caused.

    cast = Cast(suite)                        # before_scenario: nobody exists yet
    ada = cast.person("Ada")                  # a new user with a uuid of her own
    ada.start_conversation(); ada.ask("Hello")
    cast.leave()                              # after_scenario: every connection closed

A Person (support/people/person.py) is one of them, made and connected by the cast.
"""

from __future__ import annotations

import asyncio
import uuid
from urllib.parse import urlencode

from support.chat.client import ChatConnection
from support.chat.transcript import Transcript
from support.people.person import CONNECT_WITHIN_S, REPLY_WITHIN_S, Person
from support.people.tokens import SignIn
from support.suite import Suite


class Cast:
    """The people of one scenario, the frames they exchanged, and the jobs they caused."""

    def __init__(self, suite: Suite):
        self.suite = suite
        self.people: dict[str, Person] = {}
        self.named_last: Person | None = None
        self.transcript = Transcript()
        self.connections: list[ChatConnection] = []
        self.job_ids: set[str] = set()
        self.model_seq_at_start = suite.model.last_seq() if suite.model else 0

    def person(self, name: str) -> Person:
        """The person of that name, made on first mention; she is then the one named last."""
        if name not in self.people:
            self.people[name] = Person(name, self)
        self.named_last = self.people[name]
        return self.named_last

    @property
    def she(self) -> Person:
        """Whom 'she' and 'her' refer to in a step: the person named last."""
        assert self.named_last is not None, "no one has been named yet in this scenario"
        return self.named_last

    def crowd(self, size: int) -> list[Person]:
        """`size` new people, each connected to a new conversation of her own, all at once."""
        first = len(self.people) + 1
        people = [self.person(f"Person {n}") for n in range(first, first + size)]
        for person in people:
            person.conversations.append(str(uuid.uuid4()))
        self.connect(people)
        return people

    def ask_together(self, questions: dict[Person, str], within_s: float = REPLY_WITHIN_S):
        """Everyone sends at the same moment; wait for every reply."""
        async def all_at_once():
            return await asyncio.gather(*(person.connection.ask(text, within_s)
                                          for person, text in questions.items()))
        replies = self.suite.run(all_at_once(), within_s + 5, "replies to simultaneous messages")
        for (person, text), reply in zip(questions.items(), replies):
            person.remember(text, reply)

    def connect(self, people: list[Person]):
        """Connect each person to her current conversation, all at once."""
        opening = []
        for person in people:
            connection = self.new_connection(person)
            opening.append((person, connection, self.url_for(person, person.conversation_id)))

        async def open_all():
            await asyncio.gather(*(connection.open(url, CONNECT_WITHIN_S)
                                   for _, connection, url in opening))
        self.suite.run(open_all(), CONNECT_WITHIN_S + 20,
                       f"connecting {', '.join(person.name for person in people)}")
        for person, connection, _ in opening:
            person.connection = connection

    def new_connection(self, person: Person) -> ChatConnection:
        """A connection labelled Name#n, kept so leave() closes it even if opening fails."""
        person.connections_opened += 1
        connection = ChatConnection(f"{person.name}#{person.connections_opened}", self.transcript)
        self.connections.append(connection)
        return connection

    def url_for(self, person: Person, conversation_id: str, token: str | None = "") -> str:
        """The chat URL; token "" means her own valid token, None means no token at all."""
        url = f"{self.suite.endpoints.engine_url}/ws/chat/{conversation_id}"
        if token is None:
            return url
        return f"{url}?token={token or person.token()}"

    def knock(self, person: Person, conversation_id: str, token: str | None = "",
              within_s: float = CONNECT_WITHIN_S) -> int | None:
        """Try to open a conversation; return the close code the engine answers with within
        within_s of opening (default 10 s)."""
        return self._knock(person, self.url_for(person, conversation_id, token), None, within_s)

    def knock_with(self, person: Person, conversation_id: str, sign_in: SignIn) -> int | None:
        """Try to open a conversation presenting exactly this sign-in; return the close code."""
        params = {} if sign_in.token is None else {"token": sign_in.token}
        params.update(sign_in.query)
        url = f"{self.suite.endpoints.engine_url}/ws/chat/{conversation_id}"
        return self._knock(person, f"{url}?{urlencode(params)}" if params else url,
                           sign_in.headers)

    def _knock(self, person: Person, url: str, headers: dict | None,
               within_s: float = CONNECT_WITHIN_S) -> int | None:
        """The connection stays as person.knocked, to read what else it saw."""
        connection = self.new_connection(person)
        person.knocked = connection

        async def knock_and_wait():
            await connection.open(url, CONNECT_WITHIN_S, headers)
            return await connection.wait_closed(within_s)
        return self.suite.run(knock_and_wait(), CONNECT_WITHIN_S + within_s + 5,
                              f"{connection.label} knocking at {url.split('?')[0]}")

    def model_requests(self) -> list[dict]:
        """What the scriptable model was sent since this scenario started."""
        assert self.suite.model is not None, "this scenario needs the scriptable model"
        return self.suite.model.requests(since=self.model_seq_at_start)

    def leave(self):
        for connection in self.connections:
            self.suite.run(connection.close(), CONNECT_WITHIN_S, f"closing {connection.label}")
        self.connections.clear()
