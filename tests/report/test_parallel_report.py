"""A parallel run, end to end: the real hooks and steps run the chat feature and one planted
failure in 2 BehaveX processes, each on its own embedded stack; scripts/report turns the
shared Allure results into one report, and headless Chromium renders it.

What would go wrong if the processes disturbed each other: one clearing the results another
wrote, a scenario reported twice or not at all, evidence landing on the wrong scenario.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.report.devtools import attachment_shown
from tests.report.test_report_in_browser import REPORT, counts, rendered

REPO_ROOT = Path(__file__).resolve().parents[2]
PLANTED = "An answer expected in far more pieces than it has"
PLANTED_FEATURE = f"""\
Feature: A planted failure
  Scenario: {PLANTED}
    Given Ada has started a new conversation
    When she says "Tell me about the sea"
    Then the reply arrives in at least 500 pieces, in order
"""
CONSOLE_LINE = re.compile(r"^(passed |FAILED ) features/\S+\.feature:\d+  (.+?)  \(\d+\.\d s, "
                          r"(worker-\d)\)$", re.MULTILINE)


def scenario_names(feature: str) -> list[str]:
    return re.findall(r"^\s*Scenario: (.+)$", feature, re.MULTILINE)


@pytest.fixture(scope="module")
def parallel_run(tmp_path_factory, allure_modules):
    """The suite's own hooks, steps and settings in a project of two features."""
    project = tmp_path_factory.mktemp("parallel") / "project"
    (project / "features").mkdir(parents=True)
    for shared in ("environment.py", "steps", "support"):
        (project / shared).symlink_to(REPO_ROOT / shared)
    shutil.copy(REPO_ROOT / "behave.ini", project / "behave.ini")
    chat = (REPO_ROOT / "features" / "chat_flow.feature").read_text()
    (project / "features" / "chat_flow.feature").write_text(chat)
    (project / "features" / "planted.feature").write_text(PLANTED_FEATURE)
    env = {**os.environ, "GRIZZ_REPORTS_DIR": str(project / "reports")}
    for variable in ("GRIZZ_ENGINE_URL", "GRIZZ_REDIS_URL", "GRIZZ_DATABASE_URL",
                     "GRIZZ_JWT_SECRET"):
        env.pop(variable, None)
    done = subprocess.run(
        [sys.executable, "-m", "behavex", "--parallel-processes", "2", "--parallel-scheme",
         "scenario", "-o", str(project / "behavex"), "features"],
        cwd=project, env=env, capture_output=True, text=True, timeout=600)
    results = project / "reports" / "allure-results"
    report = project / "allure-report"
    generated = subprocess.run([str(REPORT), str(results), str(report)], capture_output=True,
                               text=True, timeout=300)
    assert generated.returncode == 0, generated.stdout + generated.stderr
    return {"project": project, "done": done, "results": results, "report": report,
            "expected": scenario_names(chat) + [PLANTED]}


def test_the_run_fails_for_the_planted_scenario_alone(parallel_run):
    done = parallel_run["done"]
    assert done.returncode != 0, done.stdout[-3000:]
    lines = CONSOLE_LINE.findall(done.stdout)
    assert sorted(name for _, name, _ in lines) == sorted(parallel_run["expected"]), \
        done.stdout[-3000:]
    assert [name for word, name, _ in lines if word == "FAILED "] == [PLANTED]
    assert {worker for _, _, worker in lines} == {"worker-0", "worker-1"}
    total = len(parallel_run["expected"])
    assert f"{total} scenarios: {total - 1} passed, 1 failed, 0 skipped" in done.stdout


def test_the_failure_is_printed_with_what_the_wait_saw(parallel_run):
    stdout = parallel_run["done"].stdout
    after = stdout[stdout.index(f"FAILED  features/planted.feature:2  {PLANTED}"):]
    assert "Then the reply arrives in at least 500 pieces, in order" in after.splitlines()[1]
    assert "pieces" in "\n".join(after.splitlines()[2:6])


def test_every_scenario_is_in_the_results_once(parallel_run):
    results = [json.loads(path.read_text())
               for path in parallel_run["results"].glob("*-result.json")]
    assert sorted(result["name"] for result in results) == sorted(parallel_run["expected"])
    environment = (parallel_run["results"] / "environment.properties").read_text()
    assert "Processes=2, each with its own stack" in environment
    assert (parallel_run["results"] / "categories.json").is_file()


def test_each_process_kept_its_stack_logs_apart(parallel_run):
    stack = parallel_run["project"] / "reports" / "stack"
    assert sorted(path.name for path in stack.iterdir()) == ["worker-0", "worker-1"]
    for worker in stack.iterdir():
        assert (worker / "engine.log").stat().st_size > 0


def failed_scenario_page(parallel_run, chromium) -> str:
    """The address of the planted failure's page in the report, once the summary shows the
    run's counts."""
    url = (parallel_run["report"].parent / "allure-report-single.html").as_uri()
    summary = rendered(chromium, url)
    total = len(parallel_run["expected"])
    assert counts(summary) == {"Total": str(total), "Failed": "1", "Passed": str(total - 1)}
    titles = summary.text("tree-leaf-title")  # the tree opens on the failed scenarios
    assert PLANTED in titles, titles
    leaves = [attributes for testid, attributes in summary.elements if testid == "tree-leaf"]
    return f"{url}#{leaves[titles.index(PLANTED)]['id']}"


def test_the_report_shows_every_scenario_and_the_evidence_of_the_failed_one(
        parallel_run, chromium):
    failed = rendered(chromium, failed_scenario_page(parallel_run, chromium),
                      shows="test-result-attachment-header")
    attachments = " | ".join(failed.text("test-result-attachment-header"))
    for evidence in ("WebSocket transcript", "Redis queue state",
                     "PostgreSQL rows of this scenario", "engine log (last 80 lines)", "timeline"):
        assert evidence in attachments, attachments


def test_the_failed_scenarios_timeline_is_shown_when_opened(parallel_run, chromium):
    """A picture the browser draws, not only a name: opened, it shows an image as wide as
    the picture was drawn (12 inches at 72 points an inch)."""
    shown = attachment_shown(chromium, failed_scenario_page(parallel_run, chromium), "timeline")
    assert "error" not in shown, shown
    assert shown["tag"] == "IMG" and shown["natural_width"] >= 800, shown
    assert shown["shown_width"] >= 400 and shown["shown_height"] >= 100, shown
