"""Which failures mean a server is away (unavailable, close 1013), and the frame that says so."""

from __future__ import annotations

import uuid

import asyncpg
import pytest
from redis.exceptions import BusyLoadingError, ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError

from app.api.frames import unavailable_frame
from app.api.results_reader import ReaderUnavailable
from app.core.outages import OUTAGE_RETRY_AFTER_S, server_unreachable


@pytest.mark.parametrize("error", [
    ConnectionRefusedError(111, "Connection refused"),
    TimeoutError(),
    RedisConnectionError("Error 111 connecting to 127.0.0.1:6379"),
    BusyLoadingError("Redis is loading the dataset in memory"),
    asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed"),
    asyncpg.exceptions.CannotConnectNowError("the database system is starting up"),
    asyncpg.exceptions.AdminShutdownError("terminating connection"),
    ReaderUnavailable("redis unreadable"),
], ids=type)
def test_a_server_away_is_recognised(error):
    """Each of these says Redis or PostgreSQL could not be reached."""
    assert server_unreachable(error)


@pytest.mark.parametrize("error", [
    ValueError("a bug"),
    KeyError("job_id"),
    ResponseError("WRONGTYPE"),
    asyncpg.exceptions.UniqueViolationError("duplicate key"),
], ids=type)
def test_other_failures_are_not_an_outage(error):
    """A bug or a refused command is `internal`, not `unavailable`."""
    assert not server_unreachable(error)


def test_a_failed_rollback_after_a_lost_connection_is_an_outage():
    """The rollback's own error, raised while handling the lost connection, still counts."""
    try:
        try:
            raise RedisConnectionError("gone")
        except RedisConnectionError:
            raise RuntimeError("rollback failed")  # noqa: B904 - raised while handling, as a rollback does
    except RuntimeError as error:
        assert server_unreachable(error)


def test_the_refusal_names_the_message_and_when_to_retry():
    """Before the ack: code, sentence, the client's id and a whole retry_after; no job_id."""
    frame = unavailable_frame("m-1")
    assert frame["type"] == "error" and frame["code"] == "unavailable"
    assert frame["client_message_id"] == "m-1" and "job_id" not in frame
    assert frame["retry_after"] == OUTAGE_RETRY_AFTER_S >= 1 and frame["message"]


def test_the_relay_failure_names_the_job_too():
    """After the ack the error carries both ids (contract, section 3)."""
    job_id = uuid.uuid4()
    frame = unavailable_frame("m-1", job_id)
    assert (frame["job_id"], frame["client_message_id"]) == (str(job_id), "m-1")
    assert frame["code"] == "unavailable" and frame["retry_after"] >= 1
