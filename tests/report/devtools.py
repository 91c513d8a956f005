"""A report page driven in headless Chromium over the DevTools protocol, for what --dump-dom
cannot show: an attachment is shown only once a reader opens it.

    shown = attachment_shown(chromium, url, "timeline")   # what the opened attachment shows
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

from websockets.sync.client import connect

from tests.report.test_report_in_browser import CHROMIUM_FLAGS

OPEN_WITHIN_S = 60
SHOWN_WITHIN_MS = 30_000

# Finds the attachment by its name, opens it as a reader would (a click on its header), and
# waits until it shows a loaded image; says what it saw instead when it does not.
OPEN_AND_LOOK = r"""
(async (name, withinMs) => {
  const until = async (find) => {
    const end = Date.now() + withinMs;
    while (Date.now() < end) {
      const found = find();
      if (found) return found;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return null;
  };
  const headers = () => [...document.querySelectorAll(
    '[data-testid="test-result-attachment-header"]')];
  const header = await until(() => headers().find((h) => h.textContent.includes(name)));
  if (!header) return {error: `no attachment called ${name}`,
                       seen: headers().map((h) => h.textContent)};
  (header.querySelector("button") || header).click();  // the header's toggle
  const attachment = header.closest('[data-testid="test-result-attachment"]');
  const image = await until(() => {
    const img = attachment.querySelector("img");
    return img && img.complete && img.naturalWidth > 0 ? img : null;
  });
  if (!image) return {error: "the opened attachment shows no image",
                      html: attachment.innerHTML.replace(/<svg[^]*?<\/svg>/g, "<svg/>").slice(0, 3000)};
  const box = image.getBoundingClientRect();
  return {tag: image.tagName, natural_width: image.naturalWidth,
          shown_width: Math.round(box.width), shown_height: Math.round(box.height)};
})
"""


def attachment_shown(chromium: str, url: str, name: str) -> dict:
    """What the attachment called name shows once opened: its image's natural and shown
    sizes, or {"error": ..., and what the page held}."""
    with tempfile.TemporaryDirectory(prefix="report-devtools-") as profile:
        browser = subprocess.Popen(
            [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--window-size=1400,1000",
             "--remote-debugging-port=0", url],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            with connect(_page_socket(Path(profile), browser), max_size=None,
                         open_timeout=OPEN_WITHIN_S) as page:
                _wait_until_loaded(page, url)
                return _evaluate(page, f"{OPEN_AND_LOOK}({json.dumps(name)}, {SHOWN_WITHIN_MS})")
        finally:
            browser.kill()
            browser.wait(10)


def _page_socket(profile: Path, browser: subprocess.Popen) -> str:
    """The DevTools address of the page Chromium opened, once it listens."""
    deadline, last = time.monotonic() + OPEN_WITHIN_S, "nothing yet"
    while time.monotonic() < deadline and browser.poll() is None:
        try:
            port = (profile / "DevToolsActivePort").read_text().split()[0]
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5) as got:
                pages = [t for t in json.load(got) if t.get("type") == "page"]
            if pages:
                return pages[0]["webSocketDebuggerUrl"]
            last = "no page yet"
        except (OSError, IndexError, ValueError) as problem:
            last = repr(problem)
        time.sleep(0.2)
    raise AssertionError(f"Chromium gave no DevTools page within {OPEN_WITHIN_S} s "
                         f"(exit {browser.poll()}; last: {last})")


def _wait_until_loaded(page, url: str):
    """Until the page holds the report, loaded: evaluating earlier loses its context."""
    deadline, last = time.monotonic() + OPEN_WITHIN_S, None
    while time.monotonic() < deadline:
        last = _evaluate(page, "({href: location.href, ready: document.readyState})")
        if last.get("ready") == "complete" and last.get("href", "").split("#")[0] == \
                url.split("#")[0]:
            return
        time.sleep(0.2)
    raise AssertionError(f"the report did not load within {OPEN_WITHIN_S} s; last: {last}")


def _evaluate(page, expression: str) -> dict:
    page.send(json.dumps({"id": 1, "method": "Runtime.evaluate",
                          "params": {"expression": expression, "awaitPromise": True,
                                     "returnByValue": True}}))
    deadline = time.monotonic() + SHOWN_WITHIN_MS / 1000 * 2 + 10
    while time.monotonic() < deadline:
        answer = json.loads(page.recv(timeout=deadline - time.monotonic()))
        if answer.get("id") == 1:
            result = answer.get("result", {})
            if "exceptionDetails" in result:
                return {"error": json.dumps(result["exceptionDetails"])[:600]}
            return result.get("result", {}).get("value") or {"error": json.dumps(answer)[:600]}
    raise AssertionError("Chromium did not answer the page's evaluation in time")
