"""make lint fails on what it is there to catch: each test plants one fault in a copy of the
feature files or steps and runs scripts/lint on that copy, so that a change to the lint that
blunts a check turns this red, not the next careless feature.

The copy holds scripts/lint, features/ and steps/ as files and everything else the lint reads
(README's tag table, the rules, gherkin-lint itself) as links to this checkout.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
COPIED = ("features", "steps")
LINKED = ("README.md", ".gherkin-lintrc", "ruff.toml", "behave.ini", "environment.py",
          "support", "lint", "node_modules")
FEATURE = "features/chat_flow.feature"
UNUSED_STEP = ('\n\n@then("nobody ever says this")\ndef step_nobody_says(context):\n'
               '    """Planted: no feature uses it."""\n    assert context\n')
FIRST_SCENARIO = "  @smoke\n  Scenario: A message is acknowledged before the answer starts\n"


@pytest.fixture()
def checkout(tmp_path: Path) -> Path:
    (tmp_path / "scripts").mkdir()
    shutil.copy2(REPO / "scripts" / "lint", tmp_path / "scripts" / "lint")
    for name in COPIED:
        shutil.copytree(REPO / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in LINKED:
        (tmp_path / name).symlink_to(REPO / name)
    return tmp_path


def lint(checkout: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(checkout / "scripts" / "lint")], cwd=checkout,
                          capture_output=True, text=True, timeout=120)


def plant(checkout: Path, path: str, old: str | None, new: str) -> None:
    """Replace the first `old` with `new`, or add `new` at the end when `old` is None."""
    target = checkout / path
    text = target.read_text()
    if old is None:
        target.write_text(text + new)
        return
    assert old in text, f"{path} no longer has the text this plant replaces: {old!r}"
    target.write_text(text.replace(old, new, 1))


def test_the_copy_passes_as_it_is(checkout):
    result = lint(checkout)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(("path", "old", "new", "said"), [
    pytest.param(FEATURE, '    Then her message is acknowledged\n',
                 '    Then her message is acknowledged\n    And the moon is made of cheese\n',
                 "the moon is made of cheese", id="undefined step"),
    pytest.param("steps/access_steps.py", None, UNUSED_STEP, "nobody ever says this",
                 id="unused step"),
    pytest.param(FEATURE, FIRST_SCENARIO, FIRST_SCENARIO.replace("@smoke", "@smoke @flaky"),
                 "Tag @flaky on a Scenario is not in README.md's tag table", id="unknown tag"),
    pytest.param(FEATURE, "Scenario: The answer streams in, piece by piece, in order",
                 "Scenario: A message is acknowledged before the answer starts",
                 "grizz-unique-scenario-names", id="duplicate scenario name"),
    pytest.param(FEATURE, '    When she says "Hello there"\n',
                 '    When she says "Hello there"\n    And XLEN llm_jobs is 1\n',
                 "grizz-no-technical-names", id="redis command in a step"),
    pytest.param(FEATURE, '    Then her message is acknowledged\n', '    And she says "Goodbye"\n',
                 "has no Then step, so it checks nothing", id="scenario with no outcome"),
    pytest.param("features/access.feature", None,
                 '\n  Scenario: Left after a Rule\n    When Eve opens a new conversation without '
                 'signing in\n    Then the engine refuses her as not signed in\n',
                 "grizz-scenario-placed-by-indent", id="scenario left after a Rule"),
])
def test_a_planted_fault_fails_the_lint_and_is_named(checkout, path, old, new, said):
    plant(checkout, path, old, new)
    result = lint(checkout)
    assert result.returncode == 1, f"the lint passed with the fault planted:\n{result.stdout}"
    assert said in result.stdout, result.stdout + result.stderr
