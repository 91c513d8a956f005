"""Run load/locustfile.py headless against an engine and read Locust's own stats.

    result = run_locust(engine_url, jwt_secret, users=10, seconds=10, folder=reports / "locust")
    result.requests("full reply"), result.failures("full reply"), result.median_ms("full reply")
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from support.config import REPO_ROOT

LOCUSTFILE = REPO_ROOT / "load" / "locustfile.py"
STOP_WITHIN_S = 60  # users finish the reply they wait for before Locust stops


@dataclass
class LocustResult:
    stats: dict[str, dict]  # Locust's JSON stats by request name
    cpu_s: float | None  # the Locust process's CPU seconds from test start to stop
    output: str  # Locust's log, for a failure message

    def requests(self, name: str) -> int:
        return self.stats.get(name, {}).get("num_requests", 0)

    def failures(self, name: str) -> int:
        return self.stats.get(name, {}).get("num_failures", 0)

    def percentile_ms(self, name: str, share: float) -> float | None:
        """From Locust's own response-time buckets (it rounds them to 2 significant digits)."""
        times = sorted((float(ms), count) for ms, count in
                       self.stats.get(name, {}).get("response_times", {}).items())
        total = sum(count for _, count in times)
        seen = 0
        for ms, count in times:
            seen += count
            if seen >= total * share / 100:
                return ms
        return None

    def median_ms(self, name: str) -> float | None:
        return self.percentile_ms(name, 50)


def run_locust(engine_url: str, jwt_secret: str, users: int, seconds: int, folder: Path,
               pause_s: tuple[float, float] = (1.0, 3.0),  # default: a person's pause
               spawn_rate: float | None = None) -> LocustResult:  # default: all at once
    """Run Locust headless for `seconds` with `users` people; bounded by seconds + 2 min."""
    folder.mkdir(parents=True, exist_ok=True)
    stats_file, cpu_file = folder / "locust-stats.json", folder / "locust-cpu.json"
    for old in (stats_file, cpu_file):
        old.unlink(missing_ok=True)
    command = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--host", engine_url,
               "--headless", "--only-summary", "-u", str(users),
               "-r", str(spawn_rate or users), "-t", f"{seconds}s",
               "--stop-timeout", str(STOP_WITHIN_S), "--exit-code-on-error", "0",
               "--pause-min-s", str(pause_s[0]), "--pause-max-s", str(pause_s[1]),
               "--json-file", str(stats_file.with_suffix("")), "--cpu-report", str(cpu_file)]
    done = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True,
                          timeout=seconds + STOP_WITHIN_S + 60,
                          env={**os.environ, "GRIZZ_JWT_SECRET": jwt_secret})
    output = done.stdout + done.stderr
    if done.returncode != 0 or not stats_file.exists():
        raise AssertionError(f"Locust exited with {done.returncode}; its output ends: "
                             f"{output[-2000:]}")
    stats = {entry["name"]: entry for entry in json.loads(stats_file.read_text())}
    cpu = json.loads(cpu_file.read_text())["cpu_s"] if cpu_file.exists() else None
    return LocustResult(stats, cpu, output)
