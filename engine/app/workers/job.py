"""Handling one delivered job, from the delivery count to the acknowledgement."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass, field
from typing import Callable

import asyncpg
import redis.asyncio as redis
from redis.asyncio.client import Pipeline
from openai import OpenAIError

from app.core.config import Settings
from app.core.queue import DEAD_LETTERS, JOBS_STREAM, WORKER_GROUP, conversation_jobs, results_stream
from app.core.logs import log_failure
from app.llm.client import ChatModel, ModelUnavailable, stream_attempt
from app.llm.window import TooLongForModel
from app.services.replies import stored_reply
from app.workers.heartbeat import Heartbeat
from app.workers.results import ResultPublisher
from app.workers.store import load_history, store_reply
from app.workers.turns import TurnTaker

log = logging.getLogger("grizz.worker")


@dataclass
class WorkerContext:
    """What every job of one worker process shares."""

    name: str  # the consumer name, worker-{index}-{pid}
    settings: Settings
    redis: redis.Redis
    db: asyncpg.Pool
    model: ChatModel
    turns: TurnTaker
    heartbeat: Heartbeat
    # At most WORKER_CONCURRENCY jobs past their turn at once: they are the ones calling
    # the model. Jobs waiting for their turn hold no slot, so they never hold up the job
    # they wait for.
    model_slots: asyncio.Semaphore
    stopping: asyncio.Event  # set on SIGTERM: waiting jobs are given back, not answered
    waiting: set[str] = field(default_factory=set)  # entry ids waiting for their turn


def acknowledgement(entry_id: str, conversation_id: str | None = None) -> Callable[[Pipeline], None]:
    """XACK then XDEL, together: the stream keeps only unacknowledged jobs (depth = XLEN).

    In the same MULTI the entry leaves its conversation's list: the next job's turn.
    """
    def add(pipe: Pipeline) -> None:
        pipe.xack(JOBS_STREAM, WORKER_GROUP, entry_id)
        pipe.xdel(JOBS_STREAM, entry_id)
        if conversation_id:
            pipe.lrem(conversation_jobs(conversation_id), 0, entry_id)
    return add


async def acknowledge(r: redis.Redis, entry_id: str, conversation_id: str | None = None) -> None:
    """The acknowledgement on its own, in one MULTI."""
    async with r.pipeline(transaction=True) as pipe:
        acknowledgement(entry_id, conversation_id)(pipe)
        await pipe.execute()


async def delivery_count(ctx: WorkerContext, entry_id: str) -> int | None:
    """How many times the group has delivered this entry; None if it is no longer pending."""
    pending = await ctx.redis.xpending_range(
        JOBS_STREAM, WORKER_GROUP, min=entry_id, max=entry_id, count=1
    )
    return int(pending[0]["times_delivered"]) if pending else None


# What the user is told of a dead-lettered job, by error code (docs/contract.md, section 3).
FAILURE_MESSAGES = {
    "llm_failed": "The model could not answer this message; send it again.",
    "model_unavailable": "The model is unavailable right now; send your message again in a moment.",
    "model_timeout": "The model took too long to answer; send your message again.",
}


# A message the model cannot take in even alone (docs/contract.md, section 3).
TOO_LONG = "message_too_long_for_model"
TOO_LONG_MESSAGE = ("Your message is too long for the model to read, even on its own; "
                    "send a shorter one, or split it.")


async def dead_letter(ctx: WorkerContext, entry_id: str, fields: dict, reason: str,
                      code: str = "llm_failed", retry_after: int | None = None) -> None:
    """Move the job to llm_jobs:dead, tell its client, acknowledge it: all in one MULTI."""
    job_id = fields.get("job_id")
    async with ctx.redis.pipeline(transaction=True) as pipe:
        pipe.xadd(
            DEAD_LETTERS,
            {**fields, "entry_id": entry_id, "reason": reason, "dead_at": str(int(time.time()))},
        )
        if job_id:
            key = results_stream(job_id)
            pipe.xadd(key, {
                "type": "error", "job_id": job_id, "code": code, "message": FAILURE_MESSAGES[code],
                **({} if retry_after is None else {"retry_after": str(retry_after)}),
            })
            pipe.expire(key, ctx.settings.result_ttl_s)
        acknowledgement(entry_id, fields.get("conversation_id"))(pipe)
        await pipe.execute()


async def handle_job(ctx: WorkerContext, entry_id: str, fields: dict, fresh: bool = False) -> None:
    """Process one job. Any failure leaves it pending, to be re-delivered or dead-lettered.

    `fresh`: the job was just read as new (XREADGROUP >), so this is its first delivery.
    """
    tag = (f"{ctx.name} entry={entry_id} job_id={fields.get('job_id')} "
           f"conversation_id={fields.get('conversation_id')}")
    work = asyncio.ensure_future(_process(ctx, entry_id, fields, tag, fresh))
    taken: list[bool] = []  # set when the heartbeat found the job is not ours any more

    def stop_writing(by_another: bool) -> None:
        if not work.done():
            taken.append(by_another)
            work.cancel()
    ctx.heartbeat.hold(entry_id, stop_writing)
    given_back: int | None = None
    try:
        given_back = await work
    except asyncio.CancelledError:
        if not taken:
            raise
        if taken[0]:
            log.warning("%s taken over by another worker after this one stalled; stopped writing", tag)
        else:
            # Acknowledged, by this worker just before the beat or by one that took it over.
            log.debug("%s no longer pending; stopped", tag)
    except OpenAIError as error:
        log.warning("%s model failed (%s: %s); left pending for re-delivery", tag, type(error).__name__, error)
    except Exception:
        log_failure(log, "%s failed; left pending for re-delivery", tag)
    finally:
        ctx.heartbeat.drop(entry_id)
    if given_back is not None:
        # After the heartbeat has stopped, or its next beat would make the job look busy again.
        try:
            await ctx.turns.release(entry_id, given_back)
            log.info("%s given back unanswered: the worker is stopping", tag)
        except redis.RedisError as error:
            log.warning("%s could not be given back (%s); claimable after the claim timeout", tag, error)


@dataclass(frozen=True)
class Job:
    """A delivered, well-formed job."""

    entry_id: str
    fields: dict
    attempt: int  # the delivery count
    tag: str  # names the job in log lines
    job_id: uuid.UUID
    conversation_id: uuid.UUID
    message_id: uuid.UUID

    @property
    def conversation_key(self) -> str:
        """The conversation as admission named its job list: the raw field, not the UUID."""
        return self.fields["conversation_id"]


async def _process(ctx: WorkerContext, entry_id: str, fields: dict, tag: str, fresh: bool) -> int | None:
    """Answer the job; return its attempt instead if the worker stopped while it waited its turn."""
    # A job read as new has been delivered once: no need to ask Redis.
    attempt = 1 if fresh else await delivery_count(ctx, entry_id)
    if attempt is None:
        log.info("%s no longer pending (acknowledged elsewhere); skipped", tag)
        return None
    try:
        job = Job(entry_id, fields, attempt, tag, uuid.UUID(fields["job_id"]),
                  uuid.UUID(fields["conversation_id"]), uuid.UUID(fields["message_id"]))
    except (KeyError, ValueError):
        await dead_letter(ctx, entry_id, fields, "malformed job: job_id, conversation_id, message_id must be UUIDs")
        log.error("%s dead-lettered: malformed job", tag)
        return None

    ctx.waiting.add(entry_id)
    try:
        my_turn = await ctx.turns.wait(job.conversation_key, entry_id, attempt, ctx.stopping, tag)
    finally:
        ctx.waiting.discard(entry_id)
    if not my_turn:
        return attempt
    async with ctx.model_slots:
        await _answer(ctx, job)
    return None


async def _answer(ctx: WorkerContext, job: Job) -> None:
    """The job's turn has come: re-publish a stored reply, dead-letter it, or write the reply."""
    tag, attempt = job.tag, job.attempt
    publisher = ResultPublisher(ctx.redis, str(job.job_id), stream_attempt(attempt, 0),
                                ctx.settings.result_ttl_s)
    try:
        # Only an earlier delivery can have stored a reply: the first one need not look.
        existing = await stored_reply(ctx.db, job.job_id) if attempt > 1 else None
    except Exception:
        if attempt <= ctx.settings.max_deliveries:
            raise
        # The database cannot say; past the limit the job must still end, as a dead letter.
        log_failure(log, "%s could not look up a stored reply", tag)
        existing = None
    if existing is not None:
        # An earlier attempt stored the reply and died before acknowledging: do not ask again.
        # Checked before the delivery limit: a stored reply is never reported as a failure.
        # As a new attempt whose one piece is the whole reply, so done matches its pieces.
        publisher.chunk(existing["content"])
        await publisher.done(str(existing["id"]), existing["content"],
                             also=acknowledgement(job.entry_id, job.conversation_key))
        log.info("%s attempt=%s reply already stored; done re-published", tag, attempt)
        return
    if attempt > ctx.settings.max_deliveries:
        reason = f"delivered {attempt} times, more than MAX_DELIVERIES={ctx.settings.max_deliveries}"
        await dead_letter(ctx, job.entry_id, job.fields, reason)
        log.error("%s dead-lettered: %s", tag, reason)
        return

    history = await load_history(ctx.db, job.conversation_id, job.message_id)
    if history is None:
        # Never silence: a client that was acknowledged hears that this message failed.
        await publisher.error("internal", "Your message could not be found; send it again.",
                              also=acknowledgement(job.entry_id, job.conversation_key))
        log.error("%s user message %s never became visible; job dropped", tag, job.message_id)
        return

    log.debug("%s attempt=%s started (%s messages of history)", tag, attempt, len(history))
    parts: list[str] = []

    async def piece(delta: str) -> None:
        parts.append(delta)
        publisher.chunk(delta)

    async def restart(retry: int) -> None:
        # A retried stream starts from its first piece: a new attempt, so no piece shows twice.
        nonlocal publisher
        parts.clear()
        # The old attempt's pieces are all written before the new attempt's first.
        await publisher.written()
        publisher = ResultPublisher(ctx.redis, str(job.job_id), stream_attempt(attempt, retry),
                                    ctx.settings.result_ttl_s)
    try:
        await ctx.model.stream_reply(history, piece, restart)
    except ModelUnavailable as failure:
        # Retried already: the user is told now, and the job ends as a dead letter.
        await dead_letter(ctx, job.entry_id, job.fields, str(failure), failure.code, failure.retry_after)
        log.error("%s dead-lettered: %s", tag, failure)
        return
    except TooLongForModel as refusal:
        # Her message stays in her history, unanswered; the job ends, told, not dead-lettered.
        await publisher.error(TOO_LONG, TOO_LONG_MESSAGE,
                              also=acknowledgement(job.entry_id, job.conversation_key))
        log.info("%s not answered: %s", tag, refusal)
        return
    stored = await store_reply(ctx.db, job.conversation_id, job.job_id, "".join(parts))
    await publisher.done(str(stored["id"]), stored["content"],
                         also=acknowledgement(job.entry_id, job.conversation_key))
    log.debug("%s attempt=%s done (%s chunks)", tag, attempt, len(parts))
