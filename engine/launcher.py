"""Start the engine: the API and N workers, supervised.

    python launcher.py --workers 2        (from engine/, or by path from anywhere)

A child that exits is started again after a short back-off that grows while it keeps
crashing quickly, so a crash loop does not spin. SIGTERM or SIGINT is forwarded to every
child as SIGTERM; children get SHUTDOWN_TIMEOUT_S to finish, then SIGKILL; exit status 0.

Operators pause and resume the workers with signals; the API keeps accepting and queuing:

    kill -USR1 <launcher pid>     SIGTERM to every worker (they finish the jobs in hand);
                                  no worker is started again until SIGUSR2
    kill -USR2 <launcher pid>     start the workers again

Everything the launcher says goes to the log on stderr; it writes nothing to stdout.
"""

from __future__ import annotations

import argparse
import ctypes
import logging
import resource
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ENGINE_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(ENGINE_DIR))

from app.core.config import settings_or_exit  # noqa: E402  (needs the path above)
from app.core.logs import setup_logging  # noqa: E402

log = logging.getLogger("grizz.launcher")

POLL_S = 0.2
FIRST_BACKOFF_S = 0.25
MAX_BACKOFF_S = 10.0
STABLE_AFTER_S = 10.0  # a child that ran this long was healthy: its next restart is quick


def _raise_open_file_limit() -> None:
    """Each open WebSocket, and each job it waits for, holds sockets: lift the soft limit to
    the hard one. Children inherit it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError):
            pass


def _die_with_parent() -> None:
    """In the child, before exec: get SIGTERM if the launcher dies, even by SIGKILL."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass  # not Linux: children may outlive a killed launcher


@dataclass
class Child:
    label: str  # "api", "worker 1", ...
    argv: list[str]
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    quick_exits: int = 0
    restart_at: float = field(default=0.0)
    asked_to_stop: bool = False  # SIGTERM sent by a pause: its exit is no crash

    def start(self) -> None:
        # A new session keeps a terminal's Ctrl-C away from children: the launcher forwards it.
        self.process = subprocess.Popen(
            self.argv, cwd=ENGINE_DIR, start_new_session=True, preexec_fn=_die_with_parent
        )
        self.started_at = time.monotonic()
        self.asked_to_stop = False
        log.info("%s started pid %s", self.label, self.process.pid)

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def ask_to_stop(self) -> None:
        """SIGTERM, to pause: the child finishes its work and exits; check() then knows why."""
        if self.running() and not self.asked_to_stop:
            log.info("%s pid %s: sending SIGTERM (pause)", self.label, self.process.pid)
            self.process.send_signal(signal.SIGTERM)
            self.asked_to_stop = True

    def check(self, restart: bool = True) -> None:
        """Start the child when due; notice when it has exited and schedule a restart.

        With restart False (workers paused) an exited child is noted and left stopped.
        """
        now = time.monotonic()
        if self.process is None:
            if restart and now >= self.restart_at:
                self.start()
            return
        code = self.process.poll()
        if code is None:
            return
        ran = now - self.started_at
        pid = self.process.pid
        self.process = None
        if not restart:
            log.info("%s pid %s exited with %s after %.1fs; workers paused: not restarted",
                     self.label, pid, _describe(code), ran)
            self.quick_exits, self.restart_at = 0, 0.0
            return
        if self.asked_to_stop:
            # Stopped by a pause that has been lifted since: back at once, no back-off.
            log.info("%s pid %s exited with %s after the pause was lifted; restarting now",
                     self.label, pid, _describe(code))
            self.quick_exits, self.restart_at = 0, now
            return
        self.quick_exits = 0 if ran >= STABLE_AFTER_S else self.quick_exits + 1
        delay = min(FIRST_BACKOFF_S * 2 ** max(self.quick_exits - 1, 0), MAX_BACKOFF_S)
        log.warning(
            "%s pid %s exited with %s after %.1fs; restarting in %.2fs",
            self.label, pid, _describe(code), ran, delay,
        )
        self.restart_at = now + delay


def _describe(code: int) -> str:
    if code < 0:
        return f"signal {signal.Signals(-code).name}"
    return f"code {code}"


def stop_all(children: list[Child], timeout_s: float) -> None:
    running = [c for c in children if c.process is not None and c.process.poll() is None]
    for child in running:
        log.info("%s pid %s: sending SIGTERM", child.label, child.process.pid)
        child.process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    for child in running:
        try:
            child.process.wait(timeout=max(deadline - time.monotonic(), 0))
        except subprocess.TimeoutExpired:
            log.warning("%s pid %s did not stop in %ss: SIGKILL", child.label, child.process.pid, timeout_s)
            child.process.kill()
            child.process.wait()
        log.info("%s pid %s stopped (%s)", child.label, child.process.pid, _describe(child.process.returncode))


def pause_or_resume(signum: int, paused: bool, workers: list[Child]) -> bool:
    """SIGUSR1 pauses the workers, SIGUSR2 resumes them; returns whether they are paused."""
    if signum == signal.SIGUSR1:
        if paused:
            log.info("received SIGUSR1: workers already paused")
            return True
        log.info("received SIGUSR1: pausing %s worker(s); they finish the jobs in hand, "
                 "the API keeps queuing messages", len(workers))
        for worker in workers:
            worker.ask_to_stop()
        return True
    if not paused:
        log.info("received SIGUSR2: workers are not paused; nothing to do")
        return False
    log.info("received SIGUSR2: resuming %s worker(s)", len(workers))
    for worker in workers:
        worker.quick_exits, worker.restart_at = 0, 0.0  # a stopped one starts on the next check
    return False


def main() -> int:
    parser = argparse.ArgumentParser(description="Run the Grizz engine: API plus workers.")
    parser.add_argument("--workers", type=int, default=2, help="number of worker processes (default 2)")
    args = parser.parse_args()
    if args.workers < 0:
        parser.error("--workers must be >= 0")
    # Check the configuration once here, so a bad value is one line, not a crash loop.
    settings = settings_or_exit()
    setup_logging(settings.log_level, "launcher")
    _raise_open_file_limit()

    stopping = False
    # SIGUSR1 and SIGUSR2 as they came; the loop acts on them, outside the handler.
    controls: list[int] = []

    def request_stop(signum: int, _frame) -> None:
        nonlocal stopping
        if not stopping:
            log.info("received %s: stopping", signal.Signals(signum).name)
        stopping = True

    def request_control(signum: int, _frame) -> None:
        controls.append(signum)

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGUSR1, request_control)
    signal.signal(signal.SIGUSR2, request_control)

    python = sys.executable
    api = Child("api", [python, "-m", "app.api"])
    workers = [
        Child(f"worker {i}", [python, "-m", "app.workers", "--index", str(i)])
        for i in range(1, args.workers + 1)
    ]
    children = [api, *workers]
    paused = False
    log.info("engine on http://%s:%s with %s worker(s)", settings.host, settings.port, args.workers)
    while not stopping:
        while controls:
            paused = pause_or_resume(controls.pop(0), paused, workers)
        api.check()
        for worker in workers:
            if stopping:
                break
            worker.check(restart=not paused)
        time.sleep(POLL_S)
    stop_all(children, settings.shutdown_timeout_s)
    log.info("all children stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
