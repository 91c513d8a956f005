"""Client frame parsing and validation, and the shape of server frames."""

from __future__ import annotations

import json
import uuid

import pytest

from app.api.frames import (
    MAX_JSON_DEPTH,
    BadFrame,
    ack_frame,
    client_message_id_of,
    overloaded_frame,
    parse_client_frame,
    result_frame,
)


def test_plain_text_is_the_content():
    """A text frame that is not JSON is a message whose content is its (trimmed) text."""
    message = parse_client_frame("  hello there \n")
    assert message.content == "hello there"
    uuid.UUID(message.client_message_id)  # generated for the client


@pytest.mark.parametrize("text", ["42", '"quoted"', "[1, 2]", "null", "true"])
def test_json_that_is_not_an_object_is_refused(text):
    """JSON that is not an object is a frame of the wrong shape, not a message."""
    with pytest.raises(BadFrame, match="must be an object"):
        parse_client_frame(text)


@pytest.mark.parametrize("text", ["[citation needed] is all it says", "4 2", "{smile}"[1:]])
def test_text_that_is_not_json_is_the_content(text):
    """Text that does not parse as JSON and does not open with { is a plain message."""
    assert parse_client_frame(text).content == text


def test_nesting_up_to_the_limit_is_accepted():
    """Unknown fields are ignored, however deep, up to 32 levels in all."""
    nested = "[" * (MAX_JSON_DEPTH - 1) + "]" * (MAX_JSON_DEPTH - 1)
    frame = '{"type": "message", "content": "hi", "extra": ' + nested + "}"
    assert parse_client_frame(frame).content == "hi"
    deeper = '{"type": "message", "content": "hi", "extra": [' + nested + "]}"
    with pytest.raises(BadFrame, match="nested deeper"):
        parse_client_frame(deeper)


def test_nesting_beyond_the_parser_is_refused_not_raised():
    """A frame nested far too deeply for the JSON parser is a BadFrame, not a RecursionError."""
    with pytest.raises(BadFrame, match="nested deeper"):
        parse_client_frame("[" * 100_000 + "]" * 100_000)


@pytest.mark.parametrize("frame", [
    json.dumps({"type": "message", "content": "a\x00b"}),
    "plain \x00 text",
    json.dumps({"type": "message", "content": "lone \ud800 surrogate"}),
    json.dumps({"type": "message", "content": "hi", "client_message_id": "c\x00"}),
    json.dumps({"type": "message", "content": "hi", "client_message_id": "\udfff"}),
    '{"type": "message", "content": "unclosed"',
])
def test_what_postgresql_cannot_store_or_json_cannot_read_is_refused(frame):
    """NUL characters, unpaired surrogates and broken JSON objects are bad requests."""
    with pytest.raises(BadFrame):
        parse_client_frame(frame)


def test_client_message_id_of_a_refused_frame():
    """rate_limited names the frame's own client_message_id, never a made-up one."""
    assert client_message_id_of(json.dumps({"type": "message", "content": "", "client_message_id": "c"})) == "c"
    assert client_message_id_of(json.dumps({"type": "message", "content": "x", "client_message_id": "d"})) == "d"
    assert client_message_id_of("plain text") is None
    assert client_message_id_of(None) is None


def test_json_message_keeps_the_client_id():
    """A typed message frame keeps the client's own client_message_id."""
    message = parse_client_frame(json.dumps({"type": "message", "content": "hi", "client_message_id": "c-1"}))
    assert (message.content, message.client_message_id) == ("hi", "c-1")


def test_json_message_without_client_id_gets_one():
    """A typed message frame without client_message_id is given a generated UUID."""
    uuid.UUID(parse_client_frame(json.dumps({"type": "message", "content": "hi"})).client_message_id)


def test_content_limits_are_inclusive():
    """1 and 8000 characters after trimming are accepted."""
    assert parse_client_frame("x").content == "x"
    assert len(parse_client_frame(" " + "x" * 8000 + " ").content) == 8000


def test_client_id_of_100_characters_is_accepted():
    """A client_message_id of exactly 100 characters is accepted."""
    frame = json.dumps({"type": "message", "content": "hi", "client_message_id": "c" * 100})
    assert parse_client_frame(frame).client_message_id == "c" * 100


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\t",
        "x" * 8001,
        json.dumps({"type": "message", "content": "   "}),
        json.dumps({"type": "message", "content": 7}),
        json.dumps({"type": "message"}),
        json.dumps({"type": "other", "content": "hi"}),
        json.dumps({"content": "hi"}),
        json.dumps({"type": "message", "content": "hi", "client_message_id": "c" * 101}),
        json.dumps({"type": "message", "content": "hi", "client_message_id": 5}),
        None,
    ],
    ids=["empty", "blank", "too-long", "json-blank", "json-number", "json-missing", "wrong-type",
         "no-type", "long-client-id", "numeric-client-id", "binary"],
)
def test_invalid_frames_are_bad_requests(text):
    """Empty, too long, wrongly typed and binary frames raise BadFrame."""
    with pytest.raises(BadFrame):
        parse_client_frame(text)


def test_bad_frame_remembers_the_client_id():
    """A bad typed frame reports the client_message_id it carried, so the client can match it."""
    with pytest.raises(BadFrame) as caught:
        parse_client_frame(json.dumps({"type": "message", "content": "", "client_message_id": "c-9"}))
    assert caught.value.client_message_id == "c-9"


def test_ack_and_overloaded_frames_carry_the_contract_fields():
    """ack has message_id, job_id, client_message_id; overloaded has retry_after."""
    ids = uuid.uuid4(), uuid.uuid4()
    assert ack_frame(*ids, "c") == {
        "type": "ack", "message_id": str(ids[0]), "job_id": str(ids[1]), "client_message_id": "c",
    }
    overloaded = overloaded_frame("c")
    assert (overloaded["type"], overloaded["code"], overloaded["client_message_id"]) == ("error", "overloaded", "c")
    assert overloaded["retry_after"] > 0


def test_result_entries_become_frames_with_integer_counters():
    """Result-stream entries (all strings in Redis) become frames with integer attempt and seq."""
    chunk = result_frame({"type": "chunk", "job_id": "j", "attempt": "2", "seq": "0", "content": "a"}, "c")
    assert chunk == {"type": "chunk", "job_id": "j", "attempt": 2, "seq": 0, "content": "a"}
    done = result_frame({"type": "done", "job_id": "j", "attempt": "2", "message_id": "m", "content": "ab"}, "c")
    assert done == {"type": "done", "job_id": "j", "attempt": 2, "message_id": "m", "content": "ab"}
    error = result_frame({"type": "error", "job_id": "j", "code": "llm_failed", "message": "no"}, "c")
    assert (error["code"], error["job_id"], error["client_message_id"]) == ("llm_failed", "j", "c")
    assert result_frame({"type": "mystery"}, "c") is None
