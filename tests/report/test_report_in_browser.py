"""From a behave run to a report a person reads: a tiny behave project (one scenario passes,
one fails and attaches its evidence through support/report/evidence.py) runs with the Allure
formatter, scripts/report turns its results into HTML, and headless Chromium renders it.

Chromium is the Debian package `chromium`; `make setup-browser` installs it.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import tempfile
import threading
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
REPORT = REPO_ROOT / "scripts" / "report"
RENDER_BUDGET_MS = 15000
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]
LEAKED_TOKEN = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhZGEifQ."
                "c2lnbmF0dXJlLW9mLXRoZS10b2tlbg")
JWT_SECRET = "jwt-secret-of-the-tiny-project"

FEATURE = """\
@report_demo
Feature: Report demo
  A passing and a failing scenario, to see both in the report.

  @smoke
  Scenario: A passing scenario
    Given nothing is wrong

  Rule: Failures carry their evidence
    Scenario: A failing scenario
      Given nothing is wrong
      Then the queue is empty
"""

STEPS = """\
from behave import given, then

from support.eventually import WaitTimeout


@given("nothing is wrong")
def nothing_is_wrong(context):
    context.cast.transcript.record("Ada#1", "sent", '{"type": "message", "content": "Hi"}')


@then("the queue is empty")
def the_queue_is_empty(context):
    raise WaitTimeout("queue depth: still 1 after 0.1 s (wanted 0)")
"""

# The hooks as environment.py wires them, around a stand-in for the suite whose Redis is
# down, whose PostgreSQL answers, and whose engine log holds a token.
ENVIRONMENT = f"""\
import asyncio
import datetime
import uuid
from pathlib import Path
from types import SimpleNamespace

from support.report import evidence, labels, run_facts
from support.chat.transcript import Transcript

TOKEN = "{LEAKED_TOKEN}"


class DownRedis:
    async def snapshot(self, job_ids):
        raise ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 6390)")


class Database:
    async def messages(self, conversation_id):
        return [{{"id": uuid.uuid4(), "role": "user", "content": "Hi",
                 "created_at": datetime.datetime.now(datetime.timezone.utc)}}]


class Log:
    log_path = Path("engine.log")

    def log_tail(self, lines):
        return f'INFO "WebSocket /ws/chat/c1?token={{TOKEN}}" [accepted]'


def before_all(context):
    context.suite = SimpleNamespace(
        endpoints=SimpleNamespace(jwt_secret="{JWT_SECRET}", engine_url="ws://127.0.0.1:1",
                                  database_url="postgresql://postgres@127.0.0.1:2/postgres",
                                  redis_url="redis://127.0.0.1:3/0"),
        run=lambda coroutine, within_s, what: asyncio.run(coroutine),
        queue=DownRedis(), db=Database(), model=None,
        stack=SimpleNamespace(services={{"engine": Log()}}))
    run_facts.describe_run(context, None)


def before_scenario(context, scenario):
    labels.label_scenario(scenario)
    ada = SimpleNamespace(name="Ada", user_id=str(uuid.uuid4()), conversations=["c1"])
    context.cast = SimpleNamespace(suite=context.suite, people={{"Ada": ada}},
                                   transcript=Transcript(), job_ids=set())
    context.cast.transcript.record("Ada#1", "opened",
                                   f"ws://127.0.0.1:1/ws/chat/c1?token={{TOKEN}}")


def after_step(context, step):
    if step.status.has_failed():
        context.evidence_attached = evidence.attach_failure_evidence(context.cast, context.suite)


def after_scenario(context, scenario):
    evidence.attach_transcript(context.cast)
"""


@pytest.fixture(scope="module")
def run(tmp_path_factory, allure_modules):
    """The tiny project run with the Allure formatter, and scripts/report on its results."""
    base = tmp_path_factory.mktemp("report")
    project = base / "project"
    (project / "features" / "steps").mkdir(parents=True)
    (project / "features" / "report_demo.feature").write_text(FEATURE)
    (project / "features" / "steps" / "steps.py").write_text(STEPS)
    (project / "features" / "environment.py").write_text(ENVIRONMENT)
    results, report = base / "allure-results", base / "allure-report"
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    behave = subprocess.run(
        [sys.executable, "-m", "behave", "--no-junit", "--no-capture",
         "-f", "support.report.formatter:AllureFormatter", "-o", str(results),
         "-f", "plain", "-o", str(base / "behave.txt"), "features"],
        cwd=project, env=env, capture_output=True, text=True, timeout=120)
    assert behave.returncode == 1, behave.stdout + behave.stderr  # one scenario fails
    generated = subprocess.run([str(REPORT), str(results), str(report)], capture_output=True,
                               text=True, timeout=300)
    assert generated.returncode == 0, generated.stdout + generated.stderr
    return SimpleRun(base, results, report, generated.stdout)


class SimpleRun:
    def __init__(self, base: Path, results: Path, report: Path, output: str):
        self.base, self.results, self.report, self.output = base, results, report, output
        self.single = report.parent / f"{report.name}-single.html"

    def result(self, name: str) -> dict:
        for path in self.results.glob("*-result.json"):
            data = json.loads(path.read_text())
            if data["name"] == name:
                return data
        raise AssertionError(f"no result for {name!r} in {self.results}")


# -- what the browser renders -----------------------------------------------------------

class ByTestId(HTMLParser):
    """The text inside each element that has a data-testid, and each element's attributes."""
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
            "source", "track", "wbr"}

    def __init__(self):
        super().__init__()
        self.open: list[tuple[str, str | None]] = []
        self.texts: dict[str, list[list[str]]] = {}
        self.elements: list[tuple[str, dict]] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag in ("script", "style"):
            self.skip += 1
        if "data-testid" in attributes:
            self.elements.append((attributes["data-testid"], attributes))
        if tag not in self.VOID:
            self.open.append((tag, attributes.get("data-testid")))
            if attributes.get("data-testid"):
                self.texts.setdefault(attributes["data-testid"], []).append([])

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.skip -= 1
        for index in range(len(self.open) - 1, -1, -1):
            if self.open[index][0] == tag:
                del self.open[index:]
                break

    def handle_data(self, data):
        if self.skip:
            return
        for _, testid in self.open:
            if testid:
                self.texts[testid][-1].append(data)

    def text(self, testid: str) -> list[str]:
        """The text of each element with that data-testid, its pieces joined by spaces."""
        return [" ".join(" ".join(pieces).split()) for pieces in self.texts.get(testid, [])]


def rendered(chromium: str, url: str, shows: str = "metadata-item-total") -> ByTestId:
    """The page's DOM after its scripts ran, as Chromium renders it, once it shows an
    element with the data-testid `shows`. On a busy machine the page's scripts may not be
    done within the virtual time budget: it is rendered again with twice the budget, three
    times at most."""
    budget = RENDER_BUDGET_MS
    for _ in range(3):
        with tempfile.TemporaryDirectory(prefix="report-chromium-") as profile:
            done = subprocess.run(
                [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                 f"--virtual-time-budget={budget}", "--dump-dom", url],
                capture_output=True, text=True, timeout=180)
        assert done.returncode == 0, done.stderr[-2000:]
        page = ByTestId()
        page.feed(done.stdout)
        if page.texts.get(shows):
            return page
        budget *= 2
    raise AssertionError(f"{url} showed no {shows!r} after 3 renderings, the last with "
                         f"{budget // 2} ms of virtual time; its DOM began: "
                         f"{done.stdout[:500]!r}")


def counts(page: ByTestId) -> dict[str, str]:
    """The summary figures at the top of the report: Total, Failed, Passed, ..."""
    figures = {}
    for status in ("total", "passed", "failed", "broken", "skipped", "unknown"):
        for text in page.text(f"metadata-item-{status}"):
            label, _, value = text.rpartition(" ")
            figures[label] = value
    return figures


def failed_test_id(page: ByTestId) -> str:
    """The id of the failed scenario's entry in the report's tree; #id opens its page."""
    leaves = [attributes for testid, attributes in page.elements if testid == "tree-leaf"]
    titles = page.text("tree-leaf-title")
    assert len(leaves) == len(titles) and "A failing scenario" in titles, titles
    return leaves[titles.index("A failing scenario")]["id"]


@pytest.fixture(scope="module")
def served_report(run):
    """The directory report on a loopback HTTP server: it loads its data with fetch()."""
    handler = functools.partial(QuietHandler, directory=str(run.report))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/index.html"
    server.shutdown()
    server.server_close()


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


# -- the tests --------------------------------------------------------------------------

def test_the_results_carry_labels_and_evidence_where_they_belong(run):
    passed, failed = run.result("A passing scenario"), run.result("A failing scenario")
    assert passed["status"] == "passed" and failed["status"] == "failed"
    labels = {(label["name"], label["value"]) for label in failed["labels"]}
    assert {("feature", "Report demo"), ("story", "Failures carry their evidence"),
            ("severity", "normal"), ("tag", "report_demo")} <= labels
    assert ("severity", "critical") in {(label["name"], label["value"]) for label in passed["labels"]}
    failing_step = failed["steps"][-1]
    assert failing_step["name"] == "Then the queue is empty"
    assert [a["name"] for a in failing_step["attachments"]] == [
        "Redis queue state", "PostgreSQL rows of this scenario", "engine log (last 80 lines)",
        "model log (last 80 lines)", "redis log (last 80 lines)", "postgres log (last 80 lines)"]
    assert [a["name"] for a in failed["attachments"]] == ["WebSocket transcript"]
    assert [a["name"] for a in passed["attachments"]] == ["WebSocket transcript"]


def test_no_attachment_leaks_a_token_or_the_jwt_secret(run):
    attachments = list(run.results.glob("*-attachment*"))
    assert len(attachments) == 8
    for path in attachments:
        text = path.read_text()
        assert LEAKED_TOKEN not in text and JWT_SECRET not in text, path.name
    redis = next(p.read_text() for p in attachments if "Connect call failed" in p.read_text())
    assert redis.startswith("Could not read the Redis queue state: ConnectionRefusedError")


def test_the_script_says_where_both_reports_are(run):
    assert (run.report / "index.html").is_file()
    assert run.single.is_file()
    assert f"{run.report}/index.html" in run.output
    assert str(run.single) in run.output


def test_the_single_file_report_shows_the_counts_and_the_failed_scenarios_evidence(
        run, chromium):
    url = run.single.as_uri()
    summary = rendered(chromium, url)
    assert counts(summary) == {"Total": "2", "Failed": "1", "Passed": "1"}
    test_id = failed_test_id(summary)
    failed = rendered(chromium, f"{url}#{test_id}", shows="test-result-step-title")
    assert "Then the queue is empty" in failed.text("test-result-step-title")
    attachments = " | ".join(failed.text("test-result-attachment-header"))
    assert "Redis queue state" in attachments
    assert "engine log (last 80 lines)" in attachments
    assert "WebSocket transcript" in attachments
    assert any("WaitTimeout: queue depth: still 1" in text
               for text in failed.text("test-result-error-message"))
    page_text = " ".join(" ".join(failed.text(testid)) for testid in failed.texts)
    assert "Product defects" in page_text  # the category, from categories.json


def test_the_directory_report_served_over_http_shows_the_same(run, chromium, served_report):
    summary = rendered(chromium, served_report)
    assert counts(summary) == {"Total": "2", "Failed": "1", "Passed": "1"}
    failed = rendered(chromium, f"{served_report}#{failed_test_id(summary)}",
                      shows="test-result-attachment-header")
    assert "Redis queue state" in " | ".join(failed.text("test-result-attachment-header"))


def test_without_results_the_script_says_what_to_run_first(tmp_path):
    for results in (tmp_path / "missing", tmp_path):
        (tmp_path / "categories.json").write_text("[]")  # metadata alone is no results
        done = subprocess.run([str(REPORT), str(results), str(tmp_path / "report")],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode != 0
        assert done.stdout == ""
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1, done.stderr
        assert "no Allure results" in lines[0] and "`make acceptance`" in lines[0]
        assert not (tmp_path / "report").exists()


def test_install_only_is_quick_and_quiet_once_installed(allure_modules):
    """scripts/setup calls `scripts/report --install`: npm ci only when node_modules is stale."""
    subprocess.run([str(REPORT), "--install"], check=True, capture_output=True, timeout=300)
    again = subprocess.run([str(REPORT), "--install"], capture_output=True, text=True,
                           timeout=60)
    assert again.returncode == 0
    assert again.stdout == "" and again.stderr == ""
