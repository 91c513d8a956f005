"""The launcher's supervision of one child: restarts, and pausing (SIGUSR1) and resuming (SIGUSR2)."""

from __future__ import annotations

import signal
import sys
import time

import pytest

import launcher
from launcher import Child, pause_or_resume

SLEEPER = [sys.executable, "-c", "import time; time.sleep(60)"]


@pytest.fixture
def child():
    sleeper = Child("worker 1", SLEEPER)
    yield sleeper
    if sleeper.running():
        sleeper.process.kill()
        sleeper.process.wait()


def wait_exit(child: Child) -> None:
    child.process.wait(timeout=10)


def test_a_child_that_exits_is_restarted_after_a_back_off(child):
    child.check()
    first = child.process.pid
    child.process.kill()
    wait_exit(child)
    child.check()
    assert child.process is None and child.restart_at > time.monotonic()
    child.restart_at = 0.0
    child.check()
    assert child.running() and child.process.pid != first


def test_pausing_stops_the_workers_and_does_not_restart_them(child):
    child.check()
    assert pause_or_resume(signal.SIGUSR1, False, [child]) is True
    wait_exit(child)
    assert child.process.returncode == -signal.SIGTERM
    child.check(restart=False)
    child.check(restart=False)
    assert child.process is None


def test_resuming_starts_the_workers_at_once(child):
    child.check()
    pause_or_resume(signal.SIGUSR1, False, [child])
    wait_exit(child)
    child.check(restart=False)
    assert pause_or_resume(signal.SIGUSR2, True, [child]) is False
    child.check()
    assert child.running()


def test_a_worker_still_stopping_when_resumed_is_restarted_without_back_off(child):
    child.check()
    pause_or_resume(signal.SIGUSR1, False, [child])
    pause_or_resume(signal.SIGUSR2, True, [child])
    wait_exit(child)
    child.check()  # notices the exit: no crash, so no back-off
    child.check()
    assert child.running()


def test_repeated_signals_change_nothing(child, caplog):
    caplog.set_level("INFO", logger=launcher.log.name)
    child.check()
    assert pause_or_resume(signal.SIGUSR2, False, [child]) is False
    assert child.running()
    assert pause_or_resume(signal.SIGUSR1, False, [child]) is True
    assert pause_or_resume(signal.SIGUSR1, True, [child]) is True
    assert "workers already paused" in caplog.text
    assert "workers are not paused" in caplog.text
