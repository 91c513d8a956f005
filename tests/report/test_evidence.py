"""Evidence attached to the report: secrets masked, every piece robust, JSON readable."""

import asyncio
import datetime
import json
import uuid
from pathlib import Path
from types import SimpleNamespace

import jwt
import pytest

from support.report import evidence
from support.report.secrets import MASK, mask_secrets, secrets_of
from support.chat.transcript import Transcript

SECRET = "a-jwt-secret-of-the-suite-0123456789"
TOKEN = jwt.encode({"sub": str(uuid.uuid4()), "aud": "authenticated"}, SECRET,
                   algorithm="HS256")


# -- mask_secrets -----------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    f"GET /ws/chat/abc?token={TOKEN} 101",
    f'{{"access_token": "{TOKEN}"}}',
    f"Authorization: Bearer {TOKEN}",
    f"{TOKEN}",
])
def test_every_jwt_is_masked(text):
    """Any three-part eyJ... token goes, wherever it stands."""
    masked = mask_secrets(text)
    assert TOKEN not in masked
    assert "eyJ" not in masked
    assert MASK in masked


def test_the_token_query_parameter_is_masked_whatever_it_holds():
    masked = mask_secrets("ws://127.0.0.1:8000/ws/chat/c1?token=not-even-a-jwt&x=1")
    assert masked == f"ws://127.0.0.1:8000/ws/chat/c1?token={MASK}&x=1"


def test_the_jwt_secret_is_masked_also_inside_json():
    secret = 'sec"ret-with-a-quote-1234'
    text = json.dumps({"jwt": secret}) + f" and plain {secret}"
    masked = mask_secrets(text, [secret])
    assert "sec" not in masked
    assert masked.count(MASK) == 2


@pytest.mark.parametrize("url, expected", [
    ("postgresql://postgres:hunter2-pw@127.0.0.1:5432/postgres",
     f"postgresql://postgres:{MASK}@127.0.0.1:5432/postgres"),
    ("redis://:s3cret-pass@redis:6379/0", f"redis://:{MASK}@redis:6379/0"),
    ("ws://127.0.0.1:8000/ws/chat/x", "ws://127.0.0.1:8000/ws/chat/x"),
    ("postgresql://postgres@127.0.0.1:5432/postgres",
     "postgresql://postgres@127.0.0.1:5432/postgres"),
])
def test_passwords_in_urls_are_masked_and_nothing_else(url, expected):
    assert mask_secrets(f"connecting to {url} now") == f"connecting to {expected} now"


@pytest.mark.parametrize("text, secret", [
    ("LLM_API_KEY=not-a-real-key", "not-a-real-key"),
    ('{"api_key": "abc123def456"}', "abc123def456"),
    ("OPENAI_API_KEY: sk-proj-abcdefghijklmnop1234", "sk-proj-abcdefghijklmnop1234"),
    ("the key sk-abcdefghijklmnopqrstuv was used", "sk-abcdefghijklmnopqrstuv"),
    ("SUPABASE_JWT_SECRET=whatever-it-is", "whatever-it-is"),
    ("PGPASSWORD='pw-in-quotes'", "pw-in-quotes"),
])
def test_api_keys_and_secret_settings_are_masked(text, secret):
    masked = mask_secrets(text)
    assert secret not in masked
    assert MASK in masked


def test_ordinary_text_is_left_alone():
    text = ('{"type": "done", "job_id": "j1", "content": "Hello Ada", '
            '"usage": {"completion_tokens": 12, "max_tokens": 100}}\n'
            "postgres log (last 80 lines): database system is ready")
    assert mask_secrets(text, ["postgres"]) == text  # too short to be masked everywhere


def test_known_secrets_are_masked_before_the_patterns():
    assert mask_secrets(f"secret is {SECRET}.", [SECRET, None, ""]) == f"secret is {MASK}."


def test_secrets_of_a_suite_come_from_its_endpoints_and_environment(monkeypatch):
    monkeypatch.setenv("SOME_SERVICE_API_KEY", "key-from-the-environment")
    suite = SimpleNamespace(endpoints=SimpleNamespace(
        jwt_secret=SECRET, database_url="postgresql://u:db-password-1@h/db",
        redis_url="redis://h:6379/0"))
    found = secrets_of(suite)
    assert {SECRET, "db-password-1", "key-from-the-environment"} <= set(found)


# -- the pieces of evidence -------------------------------------------------------------

class DownRedis:
    async def snapshot(self, job_ids):
        raise ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 6390)")


class Rows:
    async def messages(self, conversation_id):
        return [{"id": uuid.UUID(int=1), "role": "user", "content": f"token={TOKEN}",
                 "job_id": uuid.UUID(int=2),
                 "created_at": datetime.datetime(2026, 1, 2, 3, 4, 5,
                                                 tzinfo=datetime.timezone.utc)}]


class LogService:
    def __init__(self, path: Path):
        self.log_path = path

    def log_tail(self, lines=20):
        return "\n".join(self.log_path.read_text().splitlines()[-lines:])


def make_world(tmp_path, queue=None, model=None, with_stack=True):
    def run(coroutine, within_s, what):
        return asyncio.run(coroutine)
    stack = None
    if with_stack:
        log = tmp_path / "engine.log"
        log.write_text("\n".join(f"line {n}" for n in range(200))
                       + f'\nINFO "WebSocket /ws/chat/c1?token={TOKEN}" [accepted]\n')
        stack = SimpleNamespace(services={"engine": LogService(log)})
    suite = SimpleNamespace(
        endpoints=SimpleNamespace(jwt_secret=SECRET, database_url="postgresql://p@h/db",
                                  redis_url="redis://h/0"),
        run=run, queue=queue or DownRedis(), db=Rows(), model=model, stack=stack)
    transcript = Transcript()
    transcript.record("Ada#1", "opened", "ws://127.0.0.1:1/ws/chat/c1")
    transcript.record("Ada#1", "sent", '{"type": "message", "content": "Hello"}')
    transcript.record("Grace#1", "received", '{"type": "ack", "job_id": "j1"}')
    people = {"Ada": SimpleNamespace(name="Ada", user_id="u-ada", conversations=["c1", "c2"]),
              "Grace": SimpleNamespace(name="Grace", user_id="u-grace", conversations=[])}
    cast = SimpleNamespace(suite=suite, people=people, transcript=transcript, job_ids={"j1"},
                           model_requests=lambda: [{"seq": 1, "messages": [],
                                                    "at": datetime.date(2026, 1, 2)}])
    return cast, suite


def test_redis_down_becomes_evidence_instead_of_an_error(tmp_path):
    cast, suite = make_world(tmp_path)
    pieces = {name: (text, kind) for name, text, kind in evidence.failure_evidence(cast, suite)}
    text, kind = pieces["Redis queue state"]
    assert text.startswith("Could not read the Redis queue state: ConnectionRefusedError")
    assert kind == evidence.TEXT


def test_rows_are_json_with_datetimes_and_uuids_as_text(tmp_path):
    cast, suite = make_world(tmp_path)
    pieces = {name: (text, kind) for name, text, kind in evidence.failure_evidence(cast, suite)}
    text, kind = pieces["PostgreSQL rows of this scenario"]
    assert kind == evidence.JSON
    rows = json.loads(text)
    message = rows["Ada"]["conversations"]["c2"][0]
    assert message["created_at"] == "2026-01-02 03:04:05+00:00"
    assert message["id"] == str(uuid.UUID(int=1))
    assert rows["Grace"] == {"user_id": "u-grace", "conversations": {}}


def test_log_tails_are_the_last_lines_of_each_service(tmp_path):
    cast, suite = make_world(tmp_path)
    pieces = {name: text for name, text, _ in evidence.failure_evidence(cast, suite)}
    engine = pieces["engine log (last 80 lines)"]
    assert len(engine.splitlines()) == 80
    assert "line 199" in engine and "line 120" not in engine
    assert pieces["redis log (last 80 lines)"] == "The redis service is not running in this stack."


def test_model_requests_only_when_the_suite_has_the_model(tmp_path):
    cast, suite = make_world(tmp_path, with_stack=False)
    names = [name for name, _, _ in evidence.failure_evidence(cast, suite)]
    assert names == ["Redis queue state", "PostgreSQL rows of this scenario"]
    cast, suite = make_world(tmp_path, model=object(), with_stack=False)
    pieces = {name: text for name, text, _ in evidence.failure_evidence(cast, suite)}
    assert json.loads(pieces["Model requests since the scenario started"])[0]["at"] == "2026-01-02"


def test_everything_attached_is_masked(tmp_path, monkeypatch):
    attached = []
    monkeypatch.setattr(evidence.allure, "attach",
                        lambda body, name, attachment_type: attached.append((name, body)))
    cast, suite = make_world(tmp_path)
    names = evidence.attach_failure_evidence(cast, suite)
    assert "engine log (last 80 lines)" in names and "Redis queue state" in names
    assert evidence.attach_transcript(cast)
    assert len(attached) == len(names) + 1
    for name, body in attached:
        assert TOKEN not in body and SECRET not in body, name


def test_attaching_outside_a_test_does_not_raise(tmp_path, monkeypatch):
    """allure-behave raises KeyError when no test is open; that must not become a hook error."""
    def no_test(body, name, attachment_type):
        raise KeyError(None)
    monkeypatch.setattr(evidence.allure, "attach", no_test)
    cast, suite = make_world(tmp_path)
    assert evidence.attach_failure_evidence(cast, suite) == []
    assert evidence.attach_transcript(cast) is False


def test_the_transcript_shows_each_connection_with_times_and_directions(tmp_path):
    cast, _ = make_world(tmp_path)
    text = evidence.transcript_text(cast)
    assert "Ada: user u-ada, conversations c1, c2" in text
    assert "== Ada#1 (2 frames)" in text and "== Grace#1 (1 frames)" in text
    assert "== all connections, in time order" in text
    sent = next(line for line in text.splitlines() if '"content": "Hello"' in line)
    assert sent.split()[1] == "ms" and "->" in sent and "Ada#1" in sent
    opened = next(line for line in text.splitlines() if "ws://127.0.0.1:1" in line)
    assert " ++ ws://" in opened


def test_an_empty_transcript_says_so(tmp_path):
    cast, _ = make_world(tmp_path)
    cast.transcript = Transcript()
    assert "No WebSocket frames" in evidence.transcript_text(cast)


def test_no_cast_means_nothing_to_attach():
    assert evidence.attach_transcript(None) is False
    assert evidence.attach_failure_evidence(None, object()) == []
