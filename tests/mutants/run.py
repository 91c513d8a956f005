"""Seeded engine defects the suite must catch: `make mutants` (all) or `make mutants FAST=1`.

Each defect of defects.toml is applied to a scratch copy of engine/, and the scenarios of
its capability run against that copy through GRIZZ_ENGINE_DIR, each run with its own
embedded stack and reports directory. A defect is caught when at least one of them fails.
Prints a table of defect, outcome, the scenarios that caught it and seconds; exits 1 when a
defect survived, its patch no longer applies, or its run could not tell (no scenario ran).

    python tests/mutants/run.py [--fast] [--only NAME ...] [--jobs 2] [--check | --baseline]

--baseline runs each selection on the engine as it is: a selection that fails there would
"catch" every defect, so it proves nothing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
import xml.etree.ElementTree as ElementTree
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEFECTS_FILE = Path(__file__).with_name("defects.toml")
FIELDS = {"name", "what", "contract", "file", "search", "replace", "tags", "names", "fast"}
# Generous: a selection is a few scenarios, but the machine is shared and may be busy.
RUN_TIMEOUT_S = 900


class DefectError(ValueError):
    """defects.toml holds something the driver cannot use."""


@dataclass(frozen=True)
class Defect:
    name: str
    what: str
    contract: str
    file: str
    search: str
    replace: str
    tags: str
    names: tuple[str, ...] = ()
    fast: bool = False


@dataclass
class Outcome:
    defect: Defect
    verdict: str  # caught, SURVIVED, NOT APPLIED, NO RUN
    caught_by: list[str] = field(default_factory=list)
    seconds: float = 0.0
    note: str = ""


def load_defects(path: Path = DEFECTS_FILE) -> list[Defect]:
    entries = tomllib.loads(path.read_text()).get("defect", [])
    defects, seen = [], set()
    for number, entry in enumerate(entries, 1):
        unknown = set(entry) - FIELDS
        missing = {"name", "what", "contract", "file", "search", "replace", "tags"} - set(entry)
        if unknown or missing:
            raise DefectError(f"defect {number} ({entry.get('name', '?')}) in {path.name}: "
                              f"unknown fields {sorted(unknown)}, missing fields {sorted(missing)}")
        if entry["name"] in seen:
            raise DefectError(f"defect name {entry['name']!r} appears twice in {path.name}")
        seen.add(entry["name"])
        defects.append(Defect(**{**entry, "names": tuple(entry.get("names", ()))}))
    return defects


def apply(defect: Defect, engine_dir: Path) -> str | None:
    """Patch the copy in engine_dir; return why it cannot be applied, or None."""
    target = engine_dir / defect.file
    if not target.is_file():
        return f"{defect.file} does not exist in the engine"
    text = target.read_text()
    found = text.count(defect.search)
    if found != 1:
        return f"its search text occurs {found} times in {defect.file}, not once"
    patched = text.replace(defect.search, defect.replace)
    if target.suffix == ".py":
        try:
            compile(patched, str(target), "exec")
        except SyntaxError as error:
            return f"the patched {defect.file} is not valid Python ({error.msg}, line {error.lineno})"
    target.write_text(patched)
    return None


def scenario_failures(junit_dir: Path) -> tuple[int, list[str]]:
    """(scenarios run, names of the failed ones) from behave's JUnit XML."""
    ran, failed = 0, []
    for report in sorted(junit_dir.glob("*.xml")):
        for case in ElementTree.parse(report).getroot().iter("testcase"):
            if case.get("status") == "skipped" or case.find("skipped") is not None:
                continue
            ran += 1
            if case.find("failure") is not None or case.find("error") is not None:
                failed.append(case.get("name", "?").split(" -- @")[0])
    return ran, failed


def behave_command(defect: Defect, scratch: Path) -> list[str]:
    command = [sys.executable, "-m", "behave", f"--tags={defect.tags}", "--tags=not @load",
               "--format=progress3", "--junit", f"--junit-directory={scratch / 'junit'}"]
    for pattern in defect.names:
        command.append(f"--name={pattern}")
    return command


def run_behave(command: list[str], env: dict, log: Path) -> int | None:
    """The exit status, or None after RUN_TIMEOUT_S (the run is stopped, stack and all)."""
    with log.open("w") as out:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        try:
            return process.wait(timeout=RUN_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            # SIGINT first: the suite's hooks stop the stack they started.
            os.killpg(process.pid, signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            return None


def try_defect(defect: Defect, keep: Path | None, baseline: bool = False) -> Outcome:
    started = time.monotonic()
    scratch = Path(tempfile.mkdtemp(prefix=f"grizz-mutant-{defect.name}-"))
    try:
        engine = scratch / "engine"
        shutil.copytree(REPO / "engine", engine, ignore=shutil.ignore_patterns("__pycache__"))
        reason = None if baseline else apply(defect, engine)
        if reason:
            return Outcome(defect, "NOT APPLIED", note=reason)
        env = {**os.environ, "GRIZZ_ENGINE_DIR": str(engine), "GRIZZ_REPORTS_DIR": str(scratch / "reports")}
        status = run_behave(behave_command(defect, scratch), env, scratch / "behave.log")
        ran, failed = scenario_failures(scratch / "junit")
        seconds = time.monotonic() - started
        if status is None:
            return Outcome(defect, "NO RUN", failed, seconds, f"no result within {RUN_TIMEOUT_S} s")
        if ran == 0:
            return Outcome(defect, "NO RUN", [], seconds, f"no scenario ran (behave exit {status})")
        if baseline:
            verdict = "FAILED" if failed or status else "passed"
            return Outcome(defect, verdict, failed, seconds, f"{ran} scenario(s) on the engine as it is")
        if failed:
            return Outcome(defect, "caught", failed, seconds)
        return Outcome(defect, "SURVIVED", [], seconds, f"all {ran} scenario(s) passed")
    finally:
        if keep is not None:
            shutil.copytree(scratch, keep / defect.name, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("engine"))
        shutil.rmtree(scratch, ignore_errors=True)


def table(outcomes: list[Outcome]) -> str:
    width = max(len(o.defect.name) for o in outcomes)
    lines = [f"{'defect':<{width}}  {'outcome':<11}  {'seconds':>7}  caught by"]
    for o in outcomes:
        caught = "; ".join(dict.fromkeys(o.caught_by)) or o.note
        lines.append(f"{o.defect.name:<{width}}  {o.verdict:<11}  {o.seconds:>7.0f}  {caught}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="only the defects marked fast")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="only these defects")
    parser.add_argument("--jobs", type=int, default=2, help="defects tried at once (default 2)")
    parser.add_argument("--check", action="store_true", help="only check that every patch applies")
    parser.add_argument("--baseline", action="store_true",
                        help="run each selection on the engine as it is; every one must pass")
    parser.add_argument("--keep", type=Path, help="keep each run's logs and JUnit XML here")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    try:
        defects = load_defects()
    except (DefectError, tomllib.TOMLDecodeError) as error:
        print(f"mutants: {error}", file=sys.stderr)
        return 2
    if args.only:
        unknown = set(args.only) - {d.name for d in defects}
        if unknown:
            print(f"mutants: no defect named {', '.join(sorted(unknown))} in {DEFECTS_FILE.name}", file=sys.stderr)
            return 2
        defects = [d for d in defects if d.name in args.only]
    if args.fast:
        defects = [d for d in defects if d.fast]
    if args.check:
        return check_only(defects)
    print(f"mutants: trying {len(defects)} seeded defect(s), {args.jobs} at a time", flush=True)
    with ThreadPoolExecutor(args.jobs) as pool:
        outcomes = list(pool.map(lambda d: report(try_defect(d, args.keep, args.baseline)), defects))
    print(table(outcomes))
    bad = [o for o in outcomes if o.verdict not in ("caught", "passed")]
    for o in bad:
        print(f"mutants: {o.defect.name} ({o.defect.what}): {o.verdict.lower()}, {o.note}.")
    caught = len(outcomes) - len(bad)
    print(f"mutants: {caught} of {len(outcomes)} {'passed unpatched' if args.baseline else 'caught'}")
    return 1 if bad else 0


def report(outcome: Outcome) -> Outcome:
    print(f"mutants: {outcome.defect.name}: {outcome.verdict} in {outcome.seconds:.0f} s", flush=True)
    return outcome


def check_only(defects: list[Defect]) -> int:
    failures = 0
    with tempfile.TemporaryDirectory(prefix="grizz-mutant-check-") as scratch:
        for defect in defects:
            # Only the file it patches: apply() reads and writes no other.
            engine = Path(scratch) / defect.name
            source = REPO / "engine" / defect.file
            if source.is_file():
                (engine / defect.file).parent.mkdir(parents=True)
                shutil.copy(source, engine / defect.file)
            reason = apply(defect, engine)
            if reason:
                failures += 1
                print(f"mutants: {defect.name} no longer applies: {reason}.")
    print(f"mutants: {len(defects) - failures} of {len(defects)} patches apply")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
