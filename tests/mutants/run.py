"""Seeded engine defects the suite must catch: `make mutants` (all) or `make mutants FAST=1`.

Each defect of defects.toml is applied to a scratch copy of engine/, and the scenarios of
its capability run against that copy through GRIZZ_ENGINE_DIR, each run with its own
embedded stack and reports directory. A defect is caught when at least one of them fails.

First, the control: the same scenarios run on the engine as it is (one run per capability,
for all its defects at once). A scenario that fails there would "catch" every defect, so a
defect whose scenarios fail in the control is VOID, never caught, and is not tried.

Prints a table of defect, outcome, the scenarios that caught it and seconds; exits 1 when a
defect survived, is void, its patch no longer applies, or its run could not tell (no
scenario ran).

    python tests/mutants/run.py [--fast] [--only NAME ...] [--with-load] [--jobs auto|N]
                                [--check | --baseline]

--with-load also tries the defects whose scenarios are @load ones (`load = true`: the
capacity specs, minutes each). --baseline runs only the control. --jobs says how many
defects are tried at once, each on its own embedded stack: auto is the number of processes
make test runs scenarios in (support/parallel.py).
"""

from __future__ import annotations

import argparse
import os
import re
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
sys.path.insert(0, str(REPO))

from support.parallel import processes_wanted  # noqa: E402

DEFECTS_FILE = Path(__file__).with_name("defects.toml")
FIELDS = {"name", "what", "contract", "file", "search", "replace", "tags", "names", "fast", "load"}
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
    load: bool = False  # its scenarios are @load ones: tried only with --with-load

    def selects(self, scenario: str) -> bool:
        """Whether behave's --name patterns of this defect choose the scenario (a regex
        search, as behave does); all of its capability's scenarios when it has none."""
        return not self.names or any(re.search(pattern, scenario) for pattern in self.names)


@dataclass
class Outcome:
    defect: Defect
    verdict: str  # caught, SURVIVED, VOID, NOT APPLIED, NO RUN; passed, FAILED (--baseline)
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


@dataclass(frozen=True)
class Run:
    """What one behave run did: the scenarios it ran and those that failed, by name."""
    ran: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()
    note: str = ""  # why it has no verdict (a time-out, nothing ran), else empty


def scenario_results(junit_dir: Path) -> tuple[list[str], list[str]]:
    """(names of the scenarios run, names of the failed ones) from behave's JUnit XML."""
    ran, failed = [], []
    for report in sorted(junit_dir.glob("*.xml")):
        for case in ElementTree.parse(report).getroot().iter("testcase"):
            if case.get("status") == "skipped" or case.find("skipped") is not None:
                continue
            name = case.get("name", "?").split(" -- @")[0]
            ran.append(name)
            if case.find("failure") is not None or case.find("error") is not None:
                failed.append(name)
    return ran, failed


def behave_command(tags: str, names: tuple[str, ...], scratch: Path, with_load: bool) -> list[str]:
    command = [sys.executable, "-m", "behave", f"--tags={tags}",
               "--format=progress3", "--junit", f"--junit-directory={scratch / 'junit'}"]
    if not with_load:
        command.append("--tags=not @load")
    for pattern in names:
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


def run_scenarios(label: str, tags: str, names: tuple[str, ...], with_load: bool,
                  keep: Path | None, defect: Defect | None = None) -> Run | str:
    """Run the chosen scenarios on a scratch copy of engine/, with the defect applied when
    one is given. Returns what ran, or why the defect could not be applied."""
    scratch = Path(tempfile.mkdtemp(prefix=f"grizz-mutant-{label}-"))
    try:
        engine = scratch / "engine"
        shutil.copytree(REPO / "engine", engine, ignore=shutil.ignore_patterns("__pycache__"))
        reason = apply(defect, engine) if defect else None
        if reason:
            return reason
        env = {**os.environ, "GRIZZ_ENGINE_DIR": str(engine), "GRIZZ_REPORTS_DIR": str(scratch / "reports")}
        status = run_behave(behave_command(tags, names, scratch, with_load), env, scratch / "behave.log")
        ran, failed = scenario_results(scratch / "junit")
        if status is None:
            return Run(tuple(ran), tuple(failed), f"no result within {RUN_TIMEOUT_S} s")
        if not ran:
            return Run(note=f"no scenario ran (behave exit {status})")
        if status and not failed:
            failed = [f"behave exit {status}"]
        return Run(tuple(ran), tuple(failed))
    finally:
        if keep is not None:
            shutil.copytree(scratch, keep / label, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("engine"))
        shutil.rmtree(scratch, ignore_errors=True)


def control_groups(defects: list[Defect]) -> dict[str, tuple[str, ...]]:
    """One control run per capability (tags): the union of its defects' name patterns, or
    none when one of them takes all its scenarios."""
    groups: dict[str, list[str] | None] = {}
    for defect in defects:
        names = groups.setdefault(defect.tags, [])
        if names is not None:
            groups[defect.tags] = names + list(defect.names) if defect.names else None
    return {tags: tuple(dict.fromkeys(names or ())) for tags, names in groups.items()}


def judge_control(defect: Defect, control: Run) -> Outcome | None:
    """The defect's verdict from the control alone (VOID or NO RUN), or None to try it."""
    ran = [name for name in control.ran if defect.selects(name)]
    failed = [name for name in control.failed if defect.selects(name) or name.startswith("behave exit")]
    if control.note and not ran:
        return Outcome(defect, "NO RUN", note=f"control: {control.note}")
    if failed or control.note:
        return Outcome(defect, "VOID", failed, note="its scenarios fail on the engine as it is: "
                       + ("; ".join(dict.fromkeys(failed)) or control.note))
    if not ran:
        return Outcome(defect, "NO RUN", note="no scenario of its selection ran in the control")
    return None


def try_defect(defect: Defect, control: Run, with_load: bool, keep: Path | None) -> Outcome:
    started = time.monotonic()
    judged = judge_control(defect, control)
    if judged:
        return judged
    run = run_scenarios(defect.name, defect.tags, defect.names, with_load, keep, defect)
    seconds = time.monotonic() - started
    if isinstance(run, str):
        return Outcome(defect, "NOT APPLIED", note=run)
    if run.note and not run.failed:
        return Outcome(defect, "NO RUN", [], seconds, run.note)
    if run.failed:
        return Outcome(defect, "caught", list(run.failed), seconds)
    return Outcome(defect, "SURVIVED", [], seconds, f"all {len(run.ran)} scenario(s) passed")


def baseline_outcome(defect: Defect, control: Run) -> Outcome:
    judged = judge_control(defect, control)
    if judged and judged.verdict == "VOID":
        return Outcome(defect, "FAILED", judged.caught_by, note=judged.note)
    if judged:
        return judged
    ran = len([name for name in control.ran if defect.selects(name)])
    return Outcome(defect, "passed", note=f"{ran} scenario(s) on the engine as it is")


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
    parser.add_argument("--jobs", default="auto", help="defects tried at once (default auto)")
    parser.add_argument("--with-load", action="store_true",
                        help="also the defects of the @load scenarios (load = true)")
    parser.add_argument("--check", action="store_true", help="only check that every patch applies")
    parser.add_argument("--baseline", action="store_true",
                        help="only the control: each selection on the engine as it is")
    parser.add_argument("--keep", type=Path, help="keep each run's logs and JUnit XML here")
    args = parser.parse_args(argv)
    try:
        args.jobs = processes_wanted(args.jobs)
    except ValueError as error:
        parser.error(f"--jobs: {error}")
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
    left_out = [d for d in defects if d.load and not args.with_load]
    defects = [d for d in defects if d not in left_out]
    if left_out:
        print(f"mutants: {len(left_out)} defect(s) of the @load scenarios left out (--with-load "
              f"tries them): {', '.join(d.name for d in left_out)}")
    groups = control_groups(defects)
    print(f"mutants: the control, {len(groups)} run(s) on the engine as it is, then "
          f"{0 if args.baseline else len(defects)} seeded defect(s), {args.jobs} at a time", flush=True)
    with ThreadPoolExecutor(args.jobs) as pool:
        controls = dict(zip(groups, pool.map(
            lambda tags: control_run(tags, groups[tags], args.with_load, args.keep), groups)))
        if args.baseline:
            outcomes = [baseline_outcome(d, controls[d.tags]) for d in defects]
        else:
            outcomes = list(pool.map(
                lambda d: report(try_defect(d, controls[d.tags], args.with_load, args.keep)), defects))
    print(table(outcomes))
    bad = [o for o in outcomes if o.verdict not in ("caught", "passed")]
    for o in bad:
        print(f"mutants: {o.defect.name} ({o.defect.what}): {o.verdict.lower()}, {o.note}.")
    caught = len(outcomes) - len(bad)
    print(f"mutants: {caught} of {len(outcomes)} {'passed unpatched' if args.baseline else 'caught'}")
    return 1 if bad else 0


def control_run(tags: str, names: tuple[str, ...], with_load: bool, keep: Path | None) -> Run:
    started = time.monotonic()
    label = "control-" + re.sub(r"\W+", "-", tags).strip("-")
    run = run_scenarios(label, tags, names, with_load, keep)
    print(f"mutants: control {tags}: {len(run.ran)} scenario(s), {len(run.failed)} failed"
          f"{', ' + run.note if run.note else ''} in {time.monotonic() - started:.0f} s", flush=True)
    return run


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
