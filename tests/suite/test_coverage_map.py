"""docs/coverage.md stays honest: every rule of docs/contract.md has a row, and every scenario
and seeded defect a row names exists.

A rule of the contract is a bullet, a table row or a paragraph of it (headings, code blocks
and table headers aside). A row of the map quotes, in double quotes in its "the contract
says" cell, words of the contract exactly as written (spacing aside). Every quote names
exactly one rule, every rule is named by the quote of a row, and every quote is found in
the contract. A quote opens after a space or the cell's start and closes before a space,
punctuation or the cell's end, so the quotes inside code (`"message"`) stay part of it.
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


QUOTE = re.compile(r'(?:^|(?<=[\s(>]))"(.+?)"(?=[\s,;:.)<]|$)')


def quotes(cell: str) -> list[str]:
    """The quotes of one cell of the map."""
    return [squeeze(quote) for quote in QUOTE.findall(cell)]


def row_quotes(coverage: str) -> dict[str, list[str]]:
    """Each row's number and the quotes of its "the contract says" cell."""
    return {row[0]: quotes(row[1]) for row in map_rows(coverage)}


def unmapped_rules(contract: str, coverage: str) -> list[str]:
    """The rules of the contract that no row's quote names."""
    quoted = [quote for row in row_quotes(coverage).values() for quote in row]
    return [rule for rule in contract_rules(contract) if not any(quote in rule for quote in quoted)]


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
    missing = unmapped_rules(contract, coverage)
    assert not missing, "rules of docs/contract.md with no row in docs/coverage.md:\n" + "\n".join(missing)


def test_every_row_quotes_the_contract_and_each_quote_names_one_rule(contract, coverage):
    rules = contract_rules(contract)
    wrong = []
    for number, row in row_quotes(coverage).items():
        if not row:
            wrong.append(f"{number}: quotes nothing")
        for quote in row:
            named = sum(quote in rule for rule in rules)
            if named != 1:
                wrong.append(f"{number}: {quote!r} is in {named} rules of the contract")
    assert not wrong, "rows of docs/coverage.md that do not name one rule each:\n" + "\n".join(wrong)


def test_a_rule_nobody_maps_fails_the_map(contract, coverage):
    """Planted: a new rule in the contract, and no row for it."""
    planted = contract + "\n- A reply is `sung`, never spoken.\n"  # the backtick: see below
    assert unmapped_rules(planted, coverage) == ["A reply is `sung`, never spoken."]


def test_code_in_a_quote_is_part_of_it():
    """The quote of row 2.9 holds `"message"`; it once parsed as a lone backtick, which is in
    most rules of the contract, so any rule with a backtick counted as mapped."""
    assert quotes('"an object whose `type` is not `"message"`" (examples: ...)') == [
        'an object whose `type` is not `"message"`']


def test_every_quote_of_the_map_is_in_the_contract(contract, coverage):
    whole = squeeze(contract)
    stale = [quote for row in row_quotes(coverage).values() for quote in row if quote not in whole]
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
