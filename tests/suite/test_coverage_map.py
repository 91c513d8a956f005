"""docs/coverage.md stays honest: every rule of docs/contract.md has a row, and every scenario
and seeded defect a row names exists.

A rule of the contract is a bullet, a table row or a paragraph of it (headings, code blocks
and table headers aside). A row of the map quotes, in double quotes, words of the contract
exactly as written (spacing aside); every rule must hold at least one quote of the map, and
every quote must be found in the contract.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CONTRACT = REPO / "docs" / "contract.md"
COVERAGE = REPO / "docs" / "coverage.md"
DEFECTS = REPO / "tests" / "mutants" / "defects.toml"
SCENARIO = re.compile(r"^\s*Scenario(?: Outline| Template)?:\s*(.+?)\s*$", re.MULTILINE)
SEPARATOR = re.compile(r"^\|[\s:|-]+\|$")


def squeeze(text: str) -> str:
    return " ".join(text.split())


def contract_rules(text: str) -> list[str]:
    """The bullets, table rows and paragraphs of the contract, each on one line."""
    rules: list[str] = []
    current: list[str] = []
    lines = text.splitlines()

    def flush():
        if current:
            rules.append(squeeze(" ".join(current)))
            current.clear()

    for number, line in enumerate(lines):
        stripped = line.strip()
        following = lines[number + 1].strip() if number + 1 < len(lines) else ""
        if line.startswith("#") or not stripped:
            flush()
        elif line.startswith("    ") and not current and not stripped.startswith("|"):
            continue  # a code block: an example, not a rule
        elif stripped.startswith("|"):
            flush()
            if not SEPARATOR.match(stripped) and not SEPARATOR.match(following):
                rules.append(squeeze(stripped))
        elif stripped.startswith("- "):
            flush()
            current.append(stripped[2:])
        else:
            current.append(stripped)
    flush()
    return rules


def map_rows(text: str) -> list[list[str]]:
    """The rows of the map (before its Gaps) whose first cell is a rule number like 2.14."""
    rows = []
    for line in text.split("## Gaps", 1)[0].splitlines():
        if re.match(r"^\| *\d+\.\d+ *\|", line):
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


def quotes(text: str) -> list[str]:
    return [squeeze(quote) for quote in re.findall(r'"([^"]+)"', text)]


@pytest.fixture(scope="module")
def contract() -> str:
    return CONTRACT.read_text()


@pytest.fixture(scope="module")
def coverage() -> str:
    return COVERAGE.read_text()


@pytest.fixture(scope="module")
def scenarios() -> set[str]:
    return {name for path in (REPO / "features").glob("*.feature")
            for name in SCENARIO.findall(path.read_text())}


@pytest.fixture(scope="module")
def defects() -> set[str]:
    return {defect["name"] for defect in tomllib.loads(DEFECTS.read_text())["defect"]}


def test_every_rule_of_the_contract_is_quoted_in_the_map(contract, coverage):
    quoted = quotes(coverage)
    missing = [rule for rule in contract_rules(contract)
               if not any(quote in rule for quote in quoted)]
    assert not missing, "rules of docs/contract.md with no row in docs/coverage.md:\n" + "\n".join(missing)


def test_every_quote_of_the_map_is_in_the_contract(contract, coverage):
    whole = squeeze(contract)
    stale = [quote for quote in quotes(coverage) if quote not in whole]
    assert not stale, f"quotes in docs/coverage.md that docs/contract.md no longer says: {stale}"


def test_rule_numbers_are_unique(coverage):
    numbers = [row[0] for row in map_rows(coverage)]
    assert len(numbers) == len(set(numbers)), sorted(n for n in numbers if numbers.count(n) > 1)


def test_every_scenario_the_map_names_exists(coverage, scenarios):
    named = {name for row in map_rows(coverage) for name in re.findall(r"`([^`]+)`", row[2])}
    assert named, "the map names no scenario"
    unknown = sorted(named - scenarios)
    assert not unknown, f"scenarios named in docs/coverage.md but in no feature: {unknown}"


def test_every_defect_the_map_names_exists(coverage, defects):
    named = {name for row in map_rows(coverage) for name in re.findall(r"`([^`]+)`", row[3])}
    unknown = sorted(named - defects)
    assert not unknown, f"defects named in docs/coverage.md but not in defects.toml: {unknown}"


def test_every_defect_is_in_the_map(coverage, defects):
    named = {name for row in map_rows(coverage) for name in re.findall(r"`([^`]+)`", row[3])}
    assert not defects - named, f"seeded defects no row cites: {sorted(defects - named)}"


def test_a_row_without_a_scenario_is_a_listed_gap(coverage):
    gaps = coverage.split("## Gaps", 1)[1] if "## Gaps" in coverage else ""
    listed = set(re.findall(r"^\| *(\d+\.\d+) *\|", gaps, re.MULTILINE))
    uncovered = [row[0] for row in map_rows(coverage)
                 if "`" not in row[2] and not row[2].startswith("not a rule")]
    assert not set(uncovered) - listed, f"rows without a scenario, not in Gaps: {sorted(set(uncovered) - listed)}"
