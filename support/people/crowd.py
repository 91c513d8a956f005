"""Many people acting at once: simultaneous sends and floods, on the suite's event loop."""

from __future__ import annotations

import asyncio

from support.chat.reply import Reply
from support.eventually import Deadline


async def send_at_once(people, text: str, within_s: float) -> list[Reply]:
    """Everyone sends `text` at the same moment; wait until each is taken or turned away."""
    deadline = Deadline(within_s)

    async def one(person) -> Reply:
        reply = Reply(await person.connection.send_message(f"{text} ({person.name})"))
        return await person.connection.follow(reply, deadline, "answered_or_refused")
    return await asyncio.gather(*(one(person) for person in people))


async def flood(people, each: int, within_s: float) -> list[list[Reply]]:
    """Each person sends `each` messages without waiting in between; wait until every one
    is taken or turned away. Returns each person's replies, in the order sent."""
    deadline = Deadline(within_s)

    async def one(person) -> list[Reply]:
        replies = [Reply(await person.connection.send_message(
            f"Flood message {n} from {person.name}")) for n in range(1, each + 1)]
        for reply in replies:
            await person.connection.follow(reply, deadline, "answered_or_refused")
        return replies
    return await asyncio.gather(*(one(person) for person in people))


async def finish_all(people_replies, within_s: float):
    """Wait for every accepted reply to be done or failed."""
    deadline = Deadline(within_s)

    async def one(person, replies):
        for reply in replies:
            if reply.ack is not None:
                await person.connection.follow(reply, deadline)
    await asyncio.gather(*(one(person, replies) for person, replies in people_replies))
