"""Shared by the report tests: the repository root on sys.path, and Allure 3 from npm."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))


@pytest.fixture(scope="session")
def allure_modules() -> Path:
    """node_modules with the pinned Allure 3, installed with `npm ci` if it is missing."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.fail("Node.js and npm are not installed: the report needs them "
                    "(apt-get install nodejs npm, Node 20 or later).", pytrace=False)
    modules = REPO_ROOT / "node_modules"
    if not (modules / ".bin" / "allure").exists():  # scripts/report also re-installs a stale one
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                       cwd=REPO_ROOT, check=True, capture_output=True)
    return modules


@pytest.fixture(scope="session")
def run_node(allure_modules):
    """Run an ES module snippet with Allure's packages importable; returns its JSON output."""
    def run(source: str, *args: str):
        done = subprocess.run(["node", "--input-type=module", "-", *args], input=source,
                              cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)
    return run


@pytest.fixture(scope="session")
def chromium() -> str:
    """Headless Chromium, the Debian package `chromium`."""
    path = shutil.which("chromium")
    if path is None:
        pytest.fail("Chromium is not installed: `make setup-browser` installs it.",
                    pytrace=False)
    return path
