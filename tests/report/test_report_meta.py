"""The run's environment and categories as Allure reads them, and each scenario's labels."""

import asyncio
import json
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from behave.parser import parse_feature

from support.report import run_facts
from support.report.categories import CATEGORIES
from support.report.labels import scenario_labels

READ_PROPERTIES = """
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
const module = await import(pathToFileURL(
  "node_modules/@allurereport/reader/dist/properties.js").href);
console.log(JSON.stringify(module.parseProperties(readFileSync(process.argv[2], "utf8"))));
"""

CLASSIFY = """
import { normalizeCategoriesConfig, matchCategory } from "@allurereport/core-api";
const [rules, cases] = process.argv.slice(2).map((arg) => JSON.parse(arg));
const categories = normalizeCategoriesConfig(rules);
console.log(JSON.stringify(cases.map(([status, message]) =>
  matchCategory(categories, { status, message, labels: [], flaky: false })?.name ?? null)));
"""

# (allure status, message as allure-behave writes it, category). allure-behave names an
# exception by its module unless it is a builtin: support.eventually.WaitTimeout: ...
FAILURES = [
    ("failed", "support.eventually.WaitTimeout: queue depth: still 1 after 5 s (wanted 0)\n",
     "Product defects"),
    ("failed", "AssertionError: the reply is not finished\n", "Product defects"),
    ("failed", "AssertionError: Ada connecting: not finished after 15 s\n", "Product defects"),
    ("failed", "support.chat.client.ConnectionRefused: the engine closed the connection "
               "with 4401\n", "Product defects"),
    ("broken", "support.stack.processes.StackError: the engine did not become ready within 30 s: "
               "see engine.log\n", "Broken environment"),
    ("broken", "support.stack.processes.StackError: redis-server is not installed: run `make setup`"
               "\n", "Broken environment"),
    ("broken", "support.stack.processes.StackError: port 8000 for the engine is in use: stop "
               "whatever listens there\n", "Broken environment"),
    ("broken", "ConnectionRefusedError: [Errno 111] Connect call failed ('127.0.0.1', 6379)\n",
     "Broken environment"),
    ("broken", "OSError: Multiple exceptions: [Errno 111] Connection refused\n",
     "Broken environment"),
    ("broken", "support.model.control.FakeModelUnavailable: The fake model is not running at "
               "http://127.0.0.1:9 (Connection refused).\n", "Broken environment"),
    ("broken", "KeyError: 'job_id'\n", "Suite errors"),
    ("broken", "TypeError: 'NoneType' object is not subscriptable\n", "Suite errors"),
]


# -- categories -------------------------------------------------------------------------

def test_categories_json_is_written_in_allure_2_format(tmp_path):
    path = run_facts.write_categories(tmp_path / "results")
    written = json.loads(path.read_text())
    assert [category["name"] for category in written] == [
        "Product defects", "Broken environment", "Suite errors"]
    for category in written:
        assert set(category) <= {"name", "description", "matchedStatuses", "messageRegex",
                                 "traceRegex", "flaky"}


@pytest.mark.parametrize("status, message, expected", FAILURES)
def test_allure_2_would_sort_the_failure_so(status, message, expected):
    """Allure 2 takes the first category whose statuses hold and whose regex matches the
    WHOLE message (Java matches())."""
    chosen = next((category["name"] for category in CATEGORIES
                   if status in category["matchedStatuses"]
                   and ("messageRegex" not in category
                        or re.fullmatch(category["messageRegex"], message))), None)
    assert chosen == expected


def test_allure_3_sorts_the_failures_the_same_way(run_node):
    """Allure 3 gets the same rules through scripts/report's config and searches with
    JavaScript regexes; the result must not differ."""
    rules = [{key: value for key, value in category.items() if key != "description"}
             for category in CATEGORIES]
    cases = [[status, message] for status, message, _ in FAILURES]
    chosen = run_node(CLASSIFY, json.dumps(rules), json.dumps(cases))
    assert chosen == [expected for _, _, expected in FAILURES]


# -- environment ------------------------------------------------------------------------

class FakeRedis:
    async def info(self, section):
        assert section == "server"
        return {"redis_version": "7.0.15"}


class FakeDb:
    async def server_version(self):
        return "15.14 (Debian 15.14-0+deb12u1)"


def fake_suite(tmp_path, version_line='__version__ = "1.4.2"\n', queue=None):
    engine = tmp_path / "engine"
    (engine / "app").mkdir(parents=True, exist_ok=True)
    (engine / "app" / "__init__.py").write_text(version_line)
    return SimpleNamespace(
        config=SimpleNamespace(mode="embedded", external=False, engine_dir=engine),
        endpoints=SimpleNamespace(engine_url="ws://127.0.0.1:8123",
                                  jwt_secret="the-jwt-secret-of-this-run",
                                  database_url="postgresql://postgres@127.0.0.1:5/postgres",
                                  redis_url="redis://127.0.0.1:6/0"),
        run=lambda coroutine, within_s, what: asyncio.run(coroutine),
        queue=queue or SimpleNamespace(redis=FakeRedis()), db=FakeDb(),
        stack=SimpleNamespace(boot_seconds=3.25))


def test_environment_names_mode_url_and_versions(tmp_path):
    properties = run_facts.environment_properties(fake_suite(tmp_path))
    assert properties["Mode"] == "embedded"
    assert properties["Engine URL"] == "ws://127.0.0.1:8123"
    assert properties["Engine version"] == "1.4.2"
    assert properties["Redis version"] == "7.0.15"
    assert properties["PostgreSQL version"].startswith("15.14")
    assert re.fullmatch(r"3\.\d+\.\d+", properties["Python"])
    assert properties["behave"] == "1.3.3"
    assert properties["allure-behave"] == "2.16.2"
    assert properties["Stack boot"] == "3.25 s"


def test_unknown_versions_say_so_instead_of_failing(tmp_path):
    class DownRedis:
        async def info(self, section):
            raise ConnectionRefusedError("Connection refused")
    suite = fake_suite(tmp_path, version_line="", queue=SimpleNamespace(redis=DownRedis()))
    properties = run_facts.environment_properties(suite)
    assert properties["Engine version"] == "unknown"
    assert properties["Redis version"] == "unknown (Redis: ConnectionRefusedError)"


def test_allure_reads_the_environment_file_back_exactly(tmp_path, run_node):
    properties = {"Mode": "embedded", "Engine URL": "ws://127.0.0.1:8123",
                  "Odd = key: with #": " leading space, a\\backslash, = and :",
                  "Multi-line": "one\ntwo", "Unicode": "PostgreSQL 16 — “Grizz” ✓"}
    path = run_facts.write_environment(tmp_path, properties)
    assert path.name == "environment.properties"
    path.read_text(encoding="ascii")  # Java's properties encoding is Latin-1; stay ASCII
    assert run_node(READ_PROPERTIES, str(path)) == properties


def test_the_environment_file_is_masked(tmp_path):
    secret = "a-secret-that-must-not-show"
    path = run_facts.write_environment(
        tmp_path, {"Database": f"postgresql://u:{secret}@h/db", "Other": secret}, [secret])
    assert secret not in path.read_text()


def test_describe_run_writes_both_files_where_the_allure_formatter_writes(tmp_path):
    results = tmp_path / "allure-results"
    config = SimpleNamespace(format=["progress", "allure_behave.formatter:AllureFormatter"],
                             outputs=[SimpleNamespace(name="-"),
                                      SimpleNamespace(name=str(results))])
    context = SimpleNamespace(config=config)
    assert run_facts.describe_run(context, fake_suite(tmp_path)) == results
    assert (results / "categories.json").is_file()
    text = (results / "environment.properties").read_text()
    assert "Engine\\ version=1.4.2" in text
    assert "Mode=embedded" in text


def test_describe_run_clears_an_earlier_runs_results_and_nothing_else(tmp_path):
    """A plain `behave` run starts its report afresh, as `make acceptance` does."""
    results = tmp_path / "allure-results"
    results.mkdir()
    earlier = ["1-result.json", "2-container.json", "3-attachment.txt", "4-attachment"]
    for name in [*earlier, "notes.txt"]:
        (results / name).write_text("from before")
    config = SimpleNamespace(format=["support.report.formatter:AllureFormatter"],
                             outputs=[SimpleNamespace(name=str(results))])
    run_facts.describe_run(SimpleNamespace(config=config), fake_suite(tmp_path))
    left = sorted(path.name for path in results.iterdir())
    assert left == ["categories.json", "environment.properties", "notes.txt"], left


def test_describe_run_without_the_allure_formatter_writes_nothing(tmp_path):
    config = SimpleNamespace(format=["progress"], outputs=[SimpleNamespace(name="-")])
    assert run_facts.describe_run(SimpleNamespace(config=config), None) is None


def test_describe_run_before_the_suite_started_still_says_what_it_knows(tmp_path):
    config = SimpleNamespace(format=["support.report.formatter:AllureFormatter"],
                             outputs=[SimpleNamespace(name=str(tmp_path))])
    run_facts.describe_run(SimpleNamespace(config=config), None)
    assert "Mode=not\\ started" not in (tmp_path / "environment.properties").read_text()
    assert "Mode=not started" in (tmp_path / "environment.properties").read_text()


# -- labels -----------------------------------------------------------------------------

FEATURE = """\
@chat
Feature: Chatting
  @smoke
  Scenario: Smoke without a severity
    Given a step

  @smoke @minor
  Scenario: Smoke with a severity
    Given a step

  Scenario: Plain
    Given a step

  @blocker @allure.label.owner:queue-team @limits
  Rule: The queue has limits
    Scenario: Inside the rule
      Given a step

    @trivial
    Scenario Outline: Outline inside the rule, <n>
      Given a step <n>
      Examples:
        | n |
        | 1 |
"""


@pytest.fixture(scope="module")
def scenarios():
    feature = parse_feature(FEATURE)
    return {scenario.name: scenario for scenario in feature.walk_scenarios()}


def test_smoke_is_critical_unless_a_severity_tag_says_otherwise(scenarios):
    assert scenario_labels(scenarios["Smoke without a severity"]) == [
        ("severity", "critical")]
    assert scenario_labels(scenarios["Smoke with a severity"]) == [
        ("severity", "minor")]
    assert scenario_labels(scenarios["Plain"]) == [("severity", "normal")]


def test_a_rule_is_the_story_and_lends_its_tags(scenarios):
    labels = scenario_labels(scenarios["Inside the rule"])
    assert labels == [("story", "The queue has limits"), ("owner", "queue-team"),
                      ("tag", "limits"), ("severity", "blocker")]


def test_the_innermost_severity_wins(scenarios):
    outline = next(name for name in scenarios if name.startswith("Outline inside the rule"))
    labels = scenario_labels(scenarios[outline])
    assert ("story", "The queue has limits") in labels
    assert labels[-1] == ("severity", "trivial")


def test_a_run_given_its_own_reports_folder_keeps_its_allure_results_there(tmp_path, monkeypatch):
    """make mutants gives each run GRIZZ_REPORTS_DIR, so that none clears another's results."""
    monkeypatch.setenv("GRIZZ_REPORTS_DIR", str(tmp_path))
    assert run_facts.in_reports_dir(Path("reports/allure-results")) == tmp_path / "allure-results"
    assert run_facts.in_reports_dir(Path("named/on/the/command/line")) == \
        Path("named/on/the/command/line")
    config = SimpleNamespace(format=["support.report.formatter:AllureFormatter"],
                             outputs=[SimpleNamespace(name="reports/allure-results")])
    assert run_facts.allure_results_dir(config) == tmp_path / "allure-results"
    monkeypatch.delenv("GRIZZ_REPORTS_DIR")
    assert run_facts.allure_results_dir(config) == Path("reports/allure-results")
