"""The layout of support/ is its architecture: imports run one way between its packages,
each package's __init__.py maps every module in it, and every module reads in one sitting.

The arrows (README.md, "Layout"): the base layer imports nothing of the suite's; the stack,
the scriptable model and the chat client stand on the base alone; probes read what the stack
runs and what the chat client received; the suite puts stack, probes and model together;
people act through the suite; load drives people and probes; report reads from all, and only
the hooks use it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SUPPORT = ROOT / "support"

BASE = {"config", "console", "eventually", "happenings", "loop", "parallel"}
PACKAGES = {"stack", "model", "chat", "probes", "people", "report", "load"}
EVERYTHING = {"base", "suite"} | PACKAGES
MAY_IMPORT = {
    "base": set(),
    "stack": {"base"},
    "model": {"base"},
    "chat": {"base"},
    "probes": {"base", "stack", "chat"},
    "suite": {"base", "stack", "probes", "model"},
    "people": {"base", "suite", "chat", "model", "stack"},
    "load": {"base", "suite", "people", "chat", "probes", "stack"},
    "report": EVERYTHING,
    "steps": EVERYTHING - {"report"},
    "hooks": EVERYTHING,
}
MAX_MODULE_LINES = 250
MAX_FUNCTION_LINES = 50


def room_of_module(dotted: str) -> str | None:
    """The room a module of support/ lives in: base, suite or one of the packages."""
    parts = dotted.split(".")
    if parts[0] != "support" or len(parts) < 2:
        return None
    if parts[1] in BASE:
        return "base"
    if parts[1] == "suite":
        return "suite"
    if parts[1] in PACKAGES:
        return parts[1]
    raise AssertionError(f"support.{parts[1]} belongs to no room: add it to a package or to BASE")


def room_of_file(path: Path) -> str:
    relative = path.relative_to(ROOT)
    if relative.parts[0] == "steps":
        return "steps"
    if relative == Path("environment.py"):
        return "hooks"
    if relative == Path("support/__init__.py"):
        return "base"
    return room_of_module(".".join(relative.with_suffix("").parts))


def imported_modules(tree: ast.AST) -> list[tuple[int, str]]:
    """Every support module a file imports, at any depth (a function's body and an
    `if TYPE_CHECKING:` block count: they are arrows all the same)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            assert node.level == 0, f"line {node.lineno}: relative import of {node.module}"
            if node.module == "support":
                found += [(node.lineno, f"support.{alias.name}") for alias in node.names]
            else:
                found.append((node.lineno, node.module))
    return [(line, name) for line, name in found if name.split(".")[0] == "support"]


def python_files() -> list[Path]:
    return sorted(SUPPORT.rglob("*.py")) + sorted((ROOT / "steps").glob("*.py")) + \
        [ROOT / "environment.py"]


def _id(path: Path) -> str:
    return str(path.relative_to(ROOT))


def against_the_arrows(room: str, source: str) -> list[str]:
    return [f"line {line}: {name} ({room} may not import {room_of_module(name)})"
            for line, name in imported_modules(ast.parse(source))
            if room_of_module(name) not in MAY_IMPORT[room] | {room}]


@pytest.mark.parametrize("path", python_files(), ids=_id)
def test_imports_run_one_way(path):
    wrong = against_the_arrows(room_of_file(path), path.read_text())
    assert not wrong, f"{_id(path)} imports against the arrows:\n" + "\n".join(wrong)


def test_an_arrow_the_wrong_way_is_seen_wherever_it_hides():
    planted = """
from typing import TYPE_CHECKING
from support import console
from support.chat.client import ChatConnection
if TYPE_CHECKING:
    from support.probes.job_queue import QueueProbe
def later():
    import support.report.evidence
"""
    assert against_the_arrows("stack", planted) == [
        "line 4: support.chat.client (stack may not import chat)",
        "line 6: support.probes.job_queue (stack may not import probes)",
        "line 8: support.report.evidence (stack may not import report)"]
    assert against_the_arrows("steps", "from support.report import skips") == [
        "line 1: support.report (steps may not import report)"]


SUPPORT_MODULES = sorted(SUPPORT.rglob("*.py"))


@pytest.mark.parametrize("path", SUPPORT_MODULES, ids=_id)
def test_a_module_reads_in_one_sitting(path):
    source = path.read_text()
    lines = source.count("\n")
    assert lines <= MAX_MODULE_LINES, f"{_id(path)} has {lines} lines (at most {MAX_MODULE_LINES})"
    long = [f"{node.name} (line {node.lineno}): {node.end_lineno - node.lineno + 1} lines"
            for node in ast.walk(ast.parse(source))
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES]
    assert not long, f"{_id(path)} has functions over {MAX_FUNCTION_LINES} lines: {long}"


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_each_package_maps_its_modules(package):
    folder = SUPPORT / package
    init = ast.parse((folder / "__init__.py").read_text())
    the_map = ast.get_docstring(init) or ""
    assert len(init.body) == 1 and the_map, \
        f"support/{package}/__init__.py should hold its map, a docstring, and nothing else"
    unmapped = [module.stem for module in sorted(folder.glob("*.py"))
                if module.stem != "__init__" and module.stem not in the_map.split()
                and f"{module.stem}.py" not in the_map]
    assert not unmapped, f"support/{package}/__init__.py does not say what is in {unmapped}"


def test_every_module_is_in_a_room():
    for path in SUPPORT.glob("*.py"):
        if path.stem != "__init__":
            room_of_module(f"support.{path.stem}")
    folders = {p.name for p in SUPPORT.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert folders == PACKAGES, f"support/ holds {sorted(folders)}; PACKAGES names {sorted(PACKAGES)}"
