"""How many processes a run takes, and what a parallel run prints at its end, without
running one (tests/report/test_parallel_report.py runs one)."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import json
import sys
from pathlib import Path

import pytest

from support import parallel
from support.report import parallel_console

REPO = Path(__file__).resolve().parents[2]


def test_auto_is_three_processes_a_core_within_memory_and_the_cap(monkeypatch):
    monkeypatch.setattr(parallel, "memory_gib", lambda: 24.0)
    monkeypatch.setattr(parallel.os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    assert parallel.processes_wanted("auto") == 6
    monkeypatch.setattr(parallel.os, "sched_getaffinity", lambda pid: set(range(8)), raising=False)
    assert parallel.processes_wanted("auto") == 6
    monkeypatch.setattr(parallel.os, "sched_getaffinity", lambda pid: {0}, raising=False)
    assert parallel.processes_wanted("auto") == 3
    monkeypatch.setattr(parallel, "memory_gib", lambda: 1.5)
    assert parallel.processes_wanted("auto") == 1


@pytest.mark.parametrize("value", ["0", "-2", "two", ""])
def test_a_number_of_processes_that_is_not_one_says_what_to_give(value):
    with pytest.raises(ValueError, match="give auto or 1, 2"):
        parallel.processes_wanted(value)


def test_an_external_engine_takes_one_process_and_a_fixed_port_only_one(tmp_path):
    from support.config import SuiteConfig
    assert parallel.processes_for("6", SuiteConfig(external=True)) == 1
    assert parallel.processes_for("1", SuiteConfig(external=False, engine_port=8000)) == 1
    with pytest.raises(ValueError, match="GRIZZ_ENGINE_PORT=8000 gives every one"):
        parallel.processes_for("6", SuiteConfig(external=False, engine_port=8000))


def test_a_process_outside_a_parallel_run_has_no_name_and_its_stack_logs_stay_flat(
        monkeypatch):
    monkeypatch.delenv(parallel.RUN_MARK, raising=False)
    assert not parallel.in_parallel_run() and parallel.process_name() is None
    monkeypatch.setenv(parallel.RUN_MARK, "4")
    assert parallel.processes_of_run() == "4"
    assert parallel.process_name() == "serial"  # BehaveX's main process runs @SERIAL ones


def write_result(folder: Path, name: str, status: str, message: str | None = None):
    result = {"name": name, "fullName": f"chat_flow.feature: {name}", "status": status}
    if message:
        result["statusDetails"] = {"message": message}
    (folder / f"{name.replace(' ', '-')}-result.json").write_text(json.dumps(result))


def test_the_end_of_a_run_lists_each_failure_with_its_message_then_one_summary(
        tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(sys, "__stdout__", sys.stdout)
    write_result(tmp_path, "Ada is answered", "passed")
    write_result(tmp_path, "Bo is answered", "failed",
                 "queue depth: still 2999 after 5 s (wanted at least 3000)")
    write_result(tmp_path, "Cy is refused", "broken", "cannot reach Redis")
    write_result(tmp_path, "Di stops the workers", "skipped", "Skipped: it operates workers")
    monkeypatch.setitem(parallel_console._run, "results", tmp_path)
    monkeypatch.setitem(parallel_console._run, "started", None)
    parallel_console.finish_run()
    printed = [line.strip() for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert printed == [
        "2 scenarios failed:",
        "chat_flow.feature: Bo is answered",
        "queue depth: still 2999 after 5 s (wanted at least 3000)",
        "chat_flow.feature: Cy is refused",
        "cannot reach Redis",
        "1 scenario was skipped: Skipped: it operates workers",
        "4 scenarios: 1 passed, 2 failed, 1 skipped",
    ]


def _soak():
    path = REPO / "scripts" / "soak"
    loader = importlib.machinery.SourceFileLoader("script_soak_parallel", str(path))
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader(loader.name, loader))
    loader.exec_module(module)
    return module


def test_the_soak_reads_a_parallel_runs_outcomes_from_behavex(tmp_path):
    report = tmp_path / "report.json"
    report.write_text(json.dumps({"features": [{"scenarios": [
        {"feature": "Chat", "name": "A", "status": "passed", "error_msg": []},
        {"feature": "Chat", "name": "B", "status": "failed",
         "error_msg": ["", "waited 5 s for done (saw 3 chunks)", "Traceback ..."]},
        {"feature": "Chat", "name": "C", "status": "skipped", "error_msg": []},
    ]}]}))
    assert _soak().results_of_behavex(report) == {
        "Chat: A": None, "Chat: B": "waited 5 s for done (saw 3 chunks)"}
    assert _soak().results_of_behavex(tmp_path / "missing.json") == {}
