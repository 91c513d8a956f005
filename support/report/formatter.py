"""What the Allure report says about the run as a whole, and the labels of each scenario.

    describe_run(context, suite)     # before_all: environment.properties and categories.json
    label_scenario(scenario)         # before_scenario: story, severity, Rule tags

and AllureFormatter, allure-behave 2.16.2's formatter with three gaps filled (use it in
behave.ini as `support.report.formatter:AllureFormatter`):

- Scenarios inside a `Rule:` are reported. The stock formatter wraps only
  `feature.scenarios`, which leaves out a Rule's scenarios: they were missing from the report,
  and allure.attach() in their hooks raised KeyError (allure-python issue #886).
- A scenario skipped for a reason (support/report/skips.py) is reported as skipped, with it.
- `allure.dynamic.label/story/severity/tag` work. Its listener implements no `add_label`
  hook, so these calls did nothing.

What allure-behave does by itself with tags (not repeated here): `feature` = the feature's
name; `@blocker @critical @normal @minor @trivial` on the feature or scenario set the severity
(default normal); `@allure.label.NAME:VALUE`, `@allure.story:...`, `@allure.issue:...` and the
like become those labels and links; every other tag becomes a `tag` label. It ignores the tags
of a Rule and knows nothing of Rules.
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

import allure
import allure_commons
from allure_behave.formatter import AllureFormatter as _StockFormatter
from allure_commons.mapping import parse_tag
from allure_commons.model2 import Label
from allure_commons.types import ALLURE_UNIQUE_LABELS, LabelType, Severity

from support import parallel
from support.report import skips
from support.report.evidence import mask_secrets, secrets_of

SEVERITIES = [severity.value for severity in Severity]  # blocker critical normal minor trivial
SMOKE_SEVERITY = Severity.CRITICAL
DEFAULT_RESULTS_DIR = Path("reports") / "allure-results"

# Allure 2's categories.json. Allure 3 (the npm `allure` package) does not read this file
# from the results; scripts/report hands the same rules to it through its config, which
# accepts these keys. The regexes must hold in both: Java matches() the whole message, while
# JavaScript test() searches it, hence the [\s\S]* on each side and no inline flags.
CATEGORIES = [
    {
        "name": "Product defects",
        "description": "The engine did not do what the contract says: an assertion or a "
                       "bounded wait failed.",
        "matchedStatuses": ["failed"],
        "messageRegex": r"[\s\S]*\b(AssertionError|WaitTimeout|ConnectionRefused)\b[\s\S]*",
    },
    {
        "name": "Broken environment",
        "description": "The suite could not reach or start what it tests; the engine was "
                       "not necessarily wrong.",
        "matchedStatuses": ["broken"],
        "messageRegex": r"[\s\S]*(did not become ready|is not installed|is in use|"
                        r"cannot reach|[Cc]onnection refused|Connect call failed|"
                        r"ConnectionRefusedError|StackError)[\s\S]*",
    },
    {
        "name": "Suite errors",
        "description": "The suite itself raised an unexpected error: a bug in a step or "
                       "in support/.",
        "matchedStatuses": ["broken"],
    },
]


# -- the run ----------------------------------------------------------------------------

def allure_results_dir(config) -> Path | None:
    """Where the Allure formatter of this behave run writes, None if it has none."""
    formats = list(getattr(config, "format", None) or [])
    outputs = list(getattr(config, "outputs", None) or [])
    for name, output in zip(formats, outputs):
        if "allure" in str(name).lower():
            return Path(output.name)
    return None


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


# -- each scenario ----------------------------------------------------------------------

def rule_of(scenario):
    """The Rule a scenario (or an outline's example) sits in, or None."""
    from behave.model import Rule
    parent = getattr(scenario, "parent", None)
    while parent is not None:
        if isinstance(parent, Rule):
            return parent
        parent = getattr(parent, "parent", None)
    return None


def scenario_labels(scenario) -> list[tuple[str, str]]:
    """The labels to add to what allure-behave gives a scenario by itself: story = the
    Rule's name; the Rule's tags; severity from @blocker/@critical/@normal/@minor/@trivial
    on the feature, Rule or scenario (the innermost wins), else critical for @smoke."""
    rule = rule_of(scenario)
    labels: list[tuple[str, str]] = []
    if rule is not None:
        labels.append((LabelType.STORY, rule.name))
    feature_tags = list(getattr(scenario.feature, "tags", []))
    rule_tags = list(rule.tags) if rule is not None else []
    scenario_tags = list(scenario.tags)
    for tag in rule_tags:
        parsed = parse_tag(tag)
        if isinstance(parsed, Label) and parsed.name != LabelType.SEVERITY:
            labels.append((str(parsed.name), str(parsed.value)))
    explicit = [tag for tag in feature_tags + rule_tags + scenario_tags if tag in SEVERITIES]
    if explicit:
        severity = explicit[-1]
    elif "smoke" in feature_tags + rule_tags + scenario_tags:
        severity = SMOKE_SEVERITY.value
    else:
        severity = Severity.NORMAL.value
    labels.append((LabelType.SEVERITY, severity))
    return labels


def label_scenario(scenario) -> None:
    """Give the running scenario its labels through allure.dynamic (call it in
    before_scenario). Needs AllureFormatter below for the labels to reach the report."""
    try:
        for name, value in scenario_labels(scenario):
            allure.dynamic.label(name, value)
    except Exception as error:  # noqa: BLE001 - labels are cosmetic; never fail a scenario
        print(f"Could not label {scenario.name!r} for Allure: {type(error).__name__}: {error}",
              file=sys.stderr)


# -- the formatter ----------------------------------------------------------------------

class _DynamicLabels:
    """The add_label hook allure-behave's listener lacks: adds to its current test."""

    def __init__(self, listener):
        self.listener = listener

    @allure_commons.hookimpl
    def add_label(self, label_type, labels):
        try:
            test = self.listener.logger.get_test(None)
        except Exception:  # noqa: BLE001 - no test running
            return
        if test is None:
            return
        name = str(getattr(label_type, "value", label_type))
        for value in labels:
            value = str(getattr(value, "value", value))
            if name in ALLURE_UNIQUE_LABELS:
                test.labels = [label for label in test.labels if label.name != name]
            if not any(label.name == name and label.value == value for label in test.labels):
                test.labels.append(Label(name=name, value=value))


class AllureFormatter(_StockFormatter):
    """allure_behave.formatter:AllureFormatter that also reports scenarios inside a Rule and
    makes allure.dynamic labels work. Same options, same output."""

    def __init__(self, stream_opener, config):
        super().__init__(stream_opener, config)
        self.dynamic_labels = _DynamicLabels(self.listener)
        skips.keep_in_report(self.listener)
        allure_commons.plugin_manager.register(self.dynamic_labels)

    def feature(self, feature):
        self._wrap_scenario(feature.walk_scenarios())

    def close(self):
        try:
            super().close()
        finally:
            name = allure_commons.plugin_manager.get_name(self.dynamic_labels)
            if name and allure_commons.plugin_manager.has_plugin(name):
                allure_commons.plugin_manager.unregister(name=name)
