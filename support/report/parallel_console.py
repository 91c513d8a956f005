"""What a parallel run prints: one line per scenario as its worker ends it, then every
failure with its message (what each wait last saw), the reasons for skips, and one summary.

    start_run(config)              # before_all_workers: clear the last run's results
    scenario_line(scenario)        # after_scenario, in a worker
    finish_run()                   # after_all_workers: read the run's Allure results

The end of the run is read back from the Allure results all workers wrote to one folder,
so it shows every scenario once, whichever process ran it.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from collections import Counter
from pathlib import Path

from behave.configuration import Configuration

from support import parallel
from support.report import run_facts
from support.config import SuiteConfig
from support.console import say

MESSAGE_LINES = 12  # of a failure's message on the console; the report has all of it
_run = {"started": None, "results": None}


def results_dir() -> Path | None:
    """The Allure results folder behave.ini gives every worker."""
    return run_facts.allure_results_dir(Configuration(command_args=[]))


def start_run(config: SuiteConfig):
    """Start from no results and no stack logs of an earlier run; say how the run is split."""
    parallel.begin_run(processes())
    _run["started"] = time.monotonic()
    _run["results"] = results_dir()
    if _run["results"] is not None:
        _run["results"].mkdir(parents=True, exist_ok=True)
        run_facts.clear_earlier_results(_run["results"])
    shutil.rmtree(config.reports_dir / "stack", ignore_errors=True)
    say(f"Scenarios run in {parallel.processes_of_run()} processes, each on its own embedded stack "
        f"(its logs in {config.reports_dir / 'stack'}/worker-N/)")


def processes() -> str:
    try:
        from behavex.conf_mgr import get_param
        return str(get_param("parallel_processes"))
    except Exception:  # noqa: BLE001 - only a figure on the console
        return "several"


def scenario_line(scenario):
    """passed/FAILED/skipped, where, the name and its time; a failure's message under it."""
    status = scenario.status.name
    word = {"passed": "passed ", "failed": "FAILED ", "error": "FAILED "}.get(status, status)
    lines = [f"{word} {scenario.location}  {scenario.name}  "
             f"({scenario.duration:.1f} s, {parallel.process_name()})"]
    if scenario.status.has_failed():
        lines += [f"        {line}" for line in failure_message(scenario)]
    print("\n".join(lines), file=sys.__stdout__, flush=True)


def failure_message(scenario) -> list[str]:
    for step in scenario.all_steps:
        if step.status.has_failed():
            text = str(step.error_message or step.exception or "failed").strip()
            return [f"{step.keyword} {step.name}", *text.splitlines()[:MESSAGE_LINES]]
    hook = getattr(scenario, "error_message", None) or "failed in a hook"
    return str(hook).strip().splitlines()[:MESSAGE_LINES]


def finish_run():
    """The failures with their messages, the skip reasons, then the totals."""
    folder = _run["results"] or results_dir()
    if folder is None or not folder.is_dir():
        say("No Allure results to summarise: behave.ini names no Allure output")
        return
    results = [json.loads(path.read_text()) for path in sorted(folder.glob("*-result.json"))]
    counts = Counter(result.get("status", "unknown") for result in results)
    failed = [result for result in results if result.get("status") in ("failed", "broken")]
    lines = []
    if failed:
        lines.append(f"{len(failed)} scenario{'s' if len(failed) > 1 else ''} failed:")
        for result in failed:
            message = (result.get("statusDetails") or {}).get("message") or "failed"
            lines.append(f"  {result.get('fullName') or result.get('name')}")
            lines += [f"      {line}" for line in message.strip().splitlines()[:MESSAGE_LINES]]
    reasons = Counter((result.get("statusDetails") or {}).get("message", "")
                      for result in results if result.get("status") == "skipped")
    for reason, count in reasons.items():
        lines.append(f"{count} scenario{'s were' if count > 1 else ' was'} skipped: {reason}")
    took = time.monotonic() - _run["started"] if _run["started"] else None
    lines.append(f"{len(results)} scenarios: {counts['passed']} passed, "
                 f"{counts['failed'] + counts['broken']} failed, {counts['skipped']} skipped"
                 + (f", in {took:.0f} s" if took is not None else ""))
    say("\n    ".join(lines))
