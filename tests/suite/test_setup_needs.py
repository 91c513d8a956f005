"""Every make target installs what it runs, on a machine that never saw the project.

A green run on a machine that already had Chromium, Redis or pgTAP from earlier work hides
a missing install step. So this reads what make would do (`make -n TARGET`, with nothing of
this shell's environment that could stand in for a need), and checks that the needs of the
commands it runs are among those its `scripts/setup` calls install. The needs of each
command are written below, once; a command of the Makefile with no entry fails the check,
so a new one must say what it needs.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BASE = "base"  # what a bare `scripts/setup` installs: servers, pgTAP, pg_prove, venv, npm tools
# What each command of the Makefile needs installed, by the names `scripts/setup --list` gives
# (the base stands for all of its own). The report test opens a report in Chromium.
NEEDS_OF_COMMAND = {
    r"-m pytest tests\b": {BASE, "browser"},
    r"-m behave\b": {BASE},
    r"scripts/scenarios\b": {BASE},
    r"scripts/lint\b": {BASE},
    r"tests/mutants/run\.py\b": {BASE},
    r"scripts/soak\b": {BASE},
    r"-m support\.load\.bench\b": {BASE},
    r"scripts/steps-catalog\b": {BASE},
    r"scripts/report\b": set(),  # installs Allure itself (npm ci) when it is missing
}
SETUP = re.compile(r"^scripts/setup((?: [\w-]+)*)$")
HARMLESS = re.compile(r"^(rm -rf |\.?/?scripts/setup\b|echo\b)")
TARGETS = ["test", "unit-tests", "acceptance", "lint", "mutants", "soak", "bench", "steps",
           "report"]


def dry_run(target: str, makefile: Path = REPO / "Makefile") -> list[str]:
    """The commands `make -n TARGET` prints, as a machine with a bare environment sees it."""
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/")}
    done = subprocess.run(["make", "-n", "-f", str(makefile), target], cwd=REPO, env=env,
                          capture_output=True, text=True, check=True)
    return [line.strip() for line in done.stdout.splitlines() if line.strip()]


def setup_needs() -> set[str]:
    """The needs scripts/setup knows by name."""
    listing = subprocess.run([str(REPO / "scripts/setup"), "--list"], capture_output=True,
                             text=True, check=True).stdout
    return {line.split(":", 1)[0] for line in listing.splitlines()}


def missing_needs(target: str, makefile: Path = REPO / "Makefile") -> list[str]:
    """Sentences, one a command whose needs the target's setup calls do not install."""
    commands = dry_run(target, makefile)
    installed: set[str] = set()
    for command in commands:
        if match := SETUP.match(command):
            installed |= {BASE, *match.group(1).split()}
    problems = []
    for command in commands:
        if HARMLESS.match(command):
            continue
        needs = [need for pattern, need in NEEDS_OF_COMMAND.items() if re.search(pattern, command)]
        if not needs:
            problems.append(f"`make {target}` runs `{command}`, whose needs are not known: "
                            "add it to NEEDS_OF_COMMAND")
        elif lacking := set.union(*needs) - installed:
            problems.append(f"`make {target}` runs `{command}`, which needs "
                            f"{sorted(lacking)}, but its setup installs only {sorted(installed)}")
    return problems


@pytest.fixture(autouse=True)
def make_installed():
    if shutil.which("make") is None:
        pytest.fail("make is not installed: apt-get install make", pytrace=False)


@pytest.mark.parametrize("target", TARGETS)
def test_each_target_installs_what_it_runs(target):
    """`make TARGET` on a fresh machine installs every need of every command it runs."""
    assert missing_needs(target) == []


def test_every_need_named_here_is_one_setup_installs():
    """The needs named above are needs scripts/setup knows how to install."""
    named = set().union(*NEEDS_OF_COMMAND.values()) - {BASE}
    assert named <= setup_needs(), f"scripts/setup --list lacks {named - setup_needs()}"


def test_setup_refuses_a_need_it_does_not_know():
    """A misspelt need is an error that lists the known ones, not a silent no-op."""
    done = subprocess.run([str(REPO / "scripts/setup"), "chromium-please"], capture_output=True,
                          text=True)
    assert done.returncode == 2 and "scripts/setup --list" in done.stderr, done.stderr


def test_the_guard_fails_when_setup_is_built_once_without_the_browser(tmp_path):
    """The regression of old: the browser asked for through a variable that only one target
    exported, so `make test` built setup once, for lint, without it."""
    makefile = (REPO / "Makefile").read_text()
    planted = makefile.replace("unit-tests: setup-browser",
                               "unit-tests: export WITH_BROWSER = 1\nunit-tests: setup")
    assert planted != makefile, "the Makefile no longer has `unit-tests: setup-browser`"
    (tmp_path / "Makefile").write_text(planted)
    problems = missing_needs("test", tmp_path / "Makefile")
    assert any("pytest tests" in problem and "'browser'" in problem for problem in problems), (
        problems)


def test_the_guard_fails_on_a_command_nobody_declared(tmp_path):
    """A new command in the Makefile must say what it needs."""
    makefile = (REPO / "Makefile").read_text()
    planted = makefile.replace("\t$(PY) scripts/lint", "\t$(PY) scripts/lint\n\tnode tools/new.js")
    (tmp_path / "Makefile").write_text(planted)
    assert any("node tools/new.js" in problem for problem in missing_needs("lint",
                                                                           tmp_path / "Makefile"))
