"""The load driver's bookkeeping, fed frames by hand: no engine needed."""

import csv
import json

import pytest

from support.probes.ledger import Ledger
from support.probes.ledger_judge import ANSWERED, Entry
from support.load import figures
from support.load.caller import Caller
from support.load.driver import LoadRun
from support.load.stats import Message
from support.load.targets import missed_targets, parse_limit
from support.chat.transcript import Transcript


def person(run: LoadRun) -> Caller:
    caller = Caller("Person 1", "ws://127.0.0.1:9", "secret-" * 6, run.transcript, run.stats)
    run.callers.append(caller)
    return caller


def arrive(caller: Caller, **frame):
    caller.connection.on_frame(Transcript().record(caller.name, "received", json.dumps(frame)))


def sent(run: LoadRun, caller: Caller, due_at: float = 0.0):
    """A message as if it had gone out at due_at (perf_counter seconds)."""
    message = caller.track(Message(caller.name, f"m-{len(caller.messages)}", due_at))
    run.messages.append(message)
    return message


def test_frames_of_one_reply_fill_every_histogram():
    """ack, pieces and done are timed; the gaps are between pieces of one attempt."""
    run = LoadRun("test", "ws://127.0.0.1:9", "secret")
    caller = person(run)
    message = sent(run, caller)
    arrive(caller, type="ack", job_id="j1", client_message_id=message.client_message_id)
    for seq in range(3):
        arrive(caller, type="chunk", job_id="j1", attempt=1, seq=seq, content="a ")
    arrive(caller, type="done", job_id="j1", attempt=1, message_id="x", content="a a a ")
    assert message.ending == "done" and message.gone.is_set()
    assert [run.stats.count(name) for name in ("ack", "first_piece", "gap", "reply")] \
        == [1, 1, 2, 1]


def test_a_restarted_reply_counts_no_gap_across_attempts_and_a_second_done_is_seen():
    run = LoadRun("test", "ws://127.0.0.1:9", "secret")
    caller = person(run)
    message = sent(run, caller)
    arrive(caller, type="ack", job_id="j1", client_message_id=message.client_message_id)
    arrive(caller, type="chunk", job_id="j1", attempt=1, seq=0, content="a")
    arrive(caller, type="chunk", job_id="j1", attempt=2, seq=0, content="a")
    arrive(caller, type="chunk", job_id="j1", attempt=1, seq=1, content="late")
    arrive(caller, type="done", job_id="j1", attempt=2, message_id="x", content="a")
    arrive(caller, type="done", job_id="j1", attempt=2, message_id="x", content="a")
    assert run.stats.count("gap") == 0
    assert message.dones == 2


@pytest.mark.parametrize("frames, ending", [
    ([], "nothing"),
    ([{"type": "error", "code": "overloaded"}], "error_before_ack"),
    ([{"type": "ack", "job_id": "j1"}], "ack_only"),
    ([{"type": "ack", "job_id": "j1"}, {"type": "error", "code": "llm_failed", "job_id": "j1"}],
     "error_after_ack"),
])
def test_what_the_socket_showed_is_counted(frames, ending):
    run = LoadRun("test", "ws://127.0.0.1:9", "secret")
    caller = person(run)
    message = sent(run, caller)
    for frame in frames:
        arrive(caller, client_message_id=message.client_message_id, **frame)
    assert message.ending == ending
    assert run.endings()[ending] == 1 and run.endings()["done"] == 0


def test_the_run_hands_the_ledger_each_message_with_its_connection():
    run = LoadRun("test", "ws://127.0.0.1:9", "secret")
    caller = person(run)
    message = sent(run, caller)
    [entry] = run.sent()
    assert (entry.conversation_id, entry.client_message_id, entry.connection) == (
        caller.conversation_id, message.client_message_id, caller.connection)


def test_targets_name_the_figure_that_missed():
    run = LoadRun("test", "ws://127.0.0.1:9", "secret")
    run.stats.record("reply", 6.0)
    assert missed_targets(run, [("reply time p95", "5 s")]) == [
        "reply time p95 was 6.00s, not under 5 s"]
    assert missed_targets(run, [("reply time p95", "7 s")]) == []


def test_a_limit_without_its_unit_is_refused_with_a_sentence():
    with pytest.raises(ValueError, match="write the limit as a number and s, like 5 s"):
        parse_limit("reply time p95", "5")
    with pytest.raises(ValueError, match="no figure called 'speed'"):
        parse_limit("speed", "5 s")


def test_the_raw_figures_and_the_plot_are_written(tmp_path):
    run = LoadRun("test", "ws://127.0.0.1:9", "secret")
    caller = person(run)
    message = sent(run, caller, due_at=run.started)
    arrive(caller, type="ack", job_id="j1", client_message_id=message.client_message_id)
    arrive(caller, type="done", job_id="j1", attempt=1, message_id="x", content="a")
    csv_path, png_path = figures.write_files(run, tmp_path, "A test run")
    rows = list(csv.DictReader(csv_path.open()))
    assert [(row["caller"], row["socket_ending"], row["ledger"]) for row in rows] == [
        ("Person 1", "done", "")]
    assert png_path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    run.ledger = Ledger([Entry(run.sent()[0], ANSWERED, "one reply stored")], 0.0)
    csv_path, _ = figures.write_files(run, tmp_path, "A test run")
    assert [row["ledger"] for row in csv.DictReader(csv_path.open())] == [ANSWERED]
    assert "ledger of 1 message: 1 answered once; 0 failed loudly" in figures.figures_table(run)
