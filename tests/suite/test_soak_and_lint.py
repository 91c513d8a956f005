"""The soak's verdicts and the lint's tag list, without running the suite."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _script(name: str):
    loader = importlib.machinery.SourceFileLoader(f"script_{name}", str(REPO / "scripts" / name))
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader(loader.name, loader))
    sys.modules[loader.name] = module
    loader.exec_module(module)
    return module


soak = _script("soak")
lint = _script("lint")


def test_a_scenario_that_failed_once_and_passed_once_is_flaky():
    lines = soak.summary([100.0, 120.0], {"chat: A": [None, "boom"], "chat: B": [None, None],
                                          "chat: C": ["no", "no"]})
    assert "soak: 3 scenarios, 1 flaky, 1 failed every run" in lines
    assert "flaky: chat: A (failed 1 of 2)" in lines and "    run 2: boom" in lines
    assert "failed every run: chat: C (failed 2 of 2)" in lines
    assert "soak: 2 runs; seconds each: 100, 120" in lines


def test_failure_messages_are_read_from_junit(tmp_path):
    (tmp_path / "TESTS-x.xml").write_text(
        '<testsuite><testcase classname="x" name="A" status="failed">'
        '<failure message="waited 5 s&#10;more">trace</failure></testcase>'
        '<testcase classname="x" name="B" status="skipped"><skipped/></testcase></testsuite>')
    assert soak.results(tmp_path) == {"x: A": "waited 5 s"}


def test_the_allowed_tags_are_those_of_readme_tag_table(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("| tag | what |\n|---|---|\n| `@chat` | one `@x` |\n| `@slow`, `@load` | long |\n")
    assert lint.documented_tags(readme) == ["@chat", "@slow", "@load"]

