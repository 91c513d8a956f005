"""What the Allure report says about the run as a whole: environment.properties (the mode,
the engine, the versions, the stack's boot time) and categories.json, next to the results.

    describe_run(context, suite)     # before_all: environment.properties and categories.json
    allure_results_dir(config)       # where the results go (parallel_console asks too)
    clear_earlier_results(results_dir)  # once a run: allure-behave only ever adds
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
import re
import sys
import urllib.request
from pathlib import Path

from support import parallel
from support.report.categories import CATEGORIES
from support.report.secrets import mask_secrets, secrets_of

DEFAULT_RESULTS_DIR = Path("reports") / "allure-results"  # behave.ini's outfiles


def allure_results_dir(config) -> Path | None:
    """Where the Allure formatter of this behave run writes, None if it has none."""
    formats = list(getattr(config, "format", None) or [])
    outputs = list(getattr(config, "outputs", None) or [])
    for name, output in zip(formats, outputs):
        if "allure" in str(name).lower():
            return in_reports_dir(Path(output.name))
    return None


def in_reports_dir(results_dir: Path) -> Path:
    """behave.ini's results folder, moved under GRIZZ_REPORTS_DIR when a run is given one:
    `make mutants` gives each run its own, so that none clears the results of `make test`'s
    scenarios, nor of another defect's run. A folder named on the command line stays."""
    reports_dir = os.environ.get("GRIZZ_REPORTS_DIR")
    if reports_dir and results_dir == DEFAULT_RESULTS_DIR:
        return Path(reports_dir) / "allure-results"
    return results_dir


def engine_version(suite) -> str:
    """__version__ of engine/app/__init__.py in embedded mode; in external mode the
    "version" of /health if it gives one; else "unknown"."""
    config = suite.config
    if not config.external:
        init = Path(config.engine_dir) / "app" / "__init__.py"
        try:
            match = re.search(r"^__version__\s*=\s*['\"]([^'\"]+)['\"]", init.read_text(),
                              re.MULTILINE)
        except OSError:
            match = None
        return match.group(1) if match else "unknown"
    health = re.sub(r"^ws", "http", suite.endpoints.engine_url) + "/health"
    try:
        with urllib.request.urlopen(health, timeout=3) as response:
            version = json.loads(response.read()).get("version")
    except Exception:  # noqa: BLE001 - a version is nice to have, never a reason to fail
        version = None
    return str(version) if version else "unknown"


def _package_version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _probe(read, what: str) -> str:
    try:
        return str(read())
    except Exception as error:  # noqa: BLE001
        return f"unknown ({what}: {type(error).__name__})"


def environment_properties(suite) -> dict[str, str]:
    """The facts of this run that the report shows under Environment."""
    properties = {
        "Python": platform.python_version(),
        "behave": _package_version("behave"),
        "allure-behave": _package_version("allure-behave"),
    }
    if suite is None:
        return {"Mode": "not started (see the run's output)", **properties}
    properties = {
        "Mode": suite.config.mode,
        "Engine URL": suite.endpoints.engine_url,
        "Engine version": _probe(lambda: engine_version(suite), "engine"),
        "Redis version": _probe(
            lambda: suite.run(suite.queue.redis.info("server"), 5,
                              "asking Redis its version")["redis_version"], "Redis"),
        "PostgreSQL version": _probe(
            lambda: suite.run(suite.db.server_version(), 5, "asking PostgreSQL its version"),
            "PostgreSQL"),
        **properties,
    }
    if suite.stack is not None and suite.stack.boot_seconds is not None:
        properties["Stack boot"] = f"{suite.stack.boot_seconds:.2f} s"
    if parallel.in_parallel_run():  # each process has its stack: the figures are one's
        properties["Processes"] = f"{parallel.processes_of_run()}, each with its own stack"
    return properties


def _escape(text: str, key: bool = False) -> str:
    """Java .properties escaping, ASCII only (both Allure 2 and 3 decode \\uXXXX)."""
    out = []
    for index, char in enumerate(text):
        if char == "\\":
            out.append("\\\\")
        elif char == "\n":
            out.append("\\n")
        elif char == "\r":
            out.append("\\r")
        elif char == "\t":
            out.append("\\t")
        elif char in "=:#!" or (char == " " and (key or index == 0)):
            out.append("\\" + char)
        elif ord(char) > 126 or ord(char) < 32:
            out.append("".join(f"\\u{unit:04x}" for unit in _utf16(char)))
        else:
            out.append(char)
    return "".join(out)


def _utf16(char: str) -> list[int]:
    data = char.encode("utf-16-be")
    return [int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data), 2)]


def write_environment(results_dir: Path, properties: dict[str, str], secrets=()) -> Path:
    results_dir.mkdir(parents=True, exist_ok=True)
    path = results_dir / "environment.properties"
    lines = [f"{_escape(key, key=True)}={_escape(mask_secrets(str(value), secrets))}"
             for key, value in properties.items()]
    _write_whole(path, "\n".join(lines) + "\n")
    return path


def write_categories(results_dir: Path) -> Path:
    results_dir.mkdir(parents=True, exist_ok=True)
    path = results_dir / "categories.json"
    _write_whole(path, json.dumps(CATEGORIES, indent=2) + "\n")
    return path


def _write_whole(path: Path, text: str):
    """Write through a file of its own, then rename: the workers of a parallel run write the
    same file, and a reader must never see half of one."""
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)


# What allure-behave writes into its results folder; nothing else there is touched.
ALLURE_OUTPUTS = ("*-result.json", "*-container.json", "*-attachment*")


def clear_earlier_results(results_dir: Path) -> int:
    """Remove an earlier run's Allure results: allure-behave only ever adds to its folder,
    and `make report` would show both runs mixed. Returns how many files went."""
    earlier = [path for pattern in ALLURE_OUTPUTS for path in results_dir.glob(pattern)]
    for path in earlier:
        path.unlink(missing_ok=True)
    return len(earlier)


def describe_run(context, suite, clear: bool = True) -> Path | None:
    """Clear the results of an earlier run (unless clear is False: a parallel run's workers
    share one folder, cleared once at its start), then write environment.properties and
    categories.json next to the run's Allure results. Call it in before_all once the suite
    is attached (suite None if it could not start). Returns the results directory, None
    when this run has no Allure formatter. Never raises."""
    try:
        results_dir = allure_results_dir(context.config)
        if results_dir is None:
            return None
        if clear:
            clear_earlier_results(results_dir)
        secrets = secrets_of(suite) if suite is not None else []
        write_environment(results_dir, environment_properties(suite), secrets)
        write_categories(results_dir)
        return results_dir
    except Exception as error:  # noqa: BLE001 - the report's extras must not stop a run
        print(f"Could not write the Allure environment and categories: {error}",
              file=sys.stderr)
        return None
